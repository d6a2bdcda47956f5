"""Bulk import speed: `i2i import notes` on the simulator's notes, in notes per second.

One command: `.venv/bin/python bench/notes_import.py [--notes 1000000] [--seed 7]`.
The simulated organisation's notes are written once as JSON Lines (DESIGN §6) under
bench/out/ (bench/dataset.py) and reused; each run imports them into a fresh SQLite
database through the function the command uses, and prints the figure with the goal
(≥ 20,000 notes/s).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL = 20_000  # notes a second


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.intake import notes_jsonl
    from bench.dataset import notes_file

    source = notes_file(args.notes, args.seed)
    lines = sum(1 for _ in source.open(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
                "I2I_INSTANCE_DIR": folder,
            }
        )
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            summary = notes_jsonl.import_notes(source)
            elapsed = time.perf_counter() - started
    rate = summary.created / elapsed
    print(f"\n{'notes':>10} {'seconds':>8} {'notes/s':>9} {'goal':>8}  summary")
    print(f"{lines:>10,} {elapsed:>8.1f} {rate:>9,.0f} {GOAL:>8,}  {str(summary).splitlines()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
