"""How long a pattern report takes on 1,000,000 notes, how often its progress bar moves,
and how much memory it needs.

One command: `.venv/bin/python bench/report_speed.py` (`--notes N` for another size). It
uses the simulator's year of notes in SQLite (bench/dataset.py's notes_dataset: built on
first use, no search index, since a report reads none), then runs in a fresh process each:
  * a one-year report in every format (the job a researcher starts: the analyses, the
    document, then HTML, PDF, CSV, XLSX and JSON files), all sections;
  * a 30-day report, the same way;
timing the whole job, the longest wait between two progress reports (what the bar shows),
and the process's peak memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOALS = {"year_s": 60.0, "month_s": 10.0, "gap_s": 2.0, "peak_mb": 1536}


def child(folder: str, days: int) -> None:
    """Run one report job in this (fresh) process; print JSON."""
    from app import accounts, reports
    from app.extensions import db
    from app.models import Job
    from bench.dataset import END, bench_app

    app = bench_app(f"sqlite:///{folder}/bench.sqlite", Path(folder))
    with app.app_context():
        viewer = accounts.find_user("bench_researcher") or accounts.create_user(
            "bench_researcher", role="researcher", password="bench-researcher-1"
        )
        last = END.date()
        params = reports.report_params(
            first=(last - timedelta(days=days - 1)).isoformat(), last=last.isoformat()
        )
        job = reports.start(viewer, params)
        beats: list[tuple[float, str]] = []

        def progress(done: int, total: int, step: str | None = None) -> None:
            beats.append((time.perf_counter(), step or ""))

        started = time.perf_counter()
        beats.append((started, "start"))
        outcome = reports.run_job(db.session.get(Job, job.id), progress)
        took = time.perf_counter() - started
        beats.append((time.perf_counter(), "end"))
        gaps = [(b[0] - a[0], b[1]) for a, b in zip(beats, beats[1:], strict=False)]
        longest = max(gaps)
        slowest = sorted(gaps, reverse=True)[:4]
        folder_out = Path(app.config["I2I_INSTANCE_DIR"]) / "reports" / outcome.output
        sizes = {p.name: p.stat().st_size for p in sorted(folder_out.iterdir())}
        document = json.loads((folder_out / "document.json").read_text())
    print(
        json.dumps(
            {
                "seconds": took,
                "gap": longest[0],
                "gap_before": longest[1],
                "slowest": [[round(g, 2), step] for g, step in slowest],
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "patterns": len(document["patterns"]),
                "notes": document["totals"]["notes"],
                "sizes": sizes,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return 0
    from bench.dataset import notes_dataset, scratch_copy

    # The runs write (a researcher's account, the jobs, the files): on a copy.
    folder = scratch_copy(notes_dataset(args.notes), f"report-speed-{args.notes}")
    results = {}
    for name, days in (("one year", 365), ("30 days", 30)):
        command = [sys.executable, __file__, "--child", str(folder), str(days)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    year, month = results["one year"], results["30 days"]
    print(f"{args.notes:,} notes (SQLite, the simulator's year); a report in every format")
    print(f"{'figure':52} {'measured':>10} {'goal':>8}")
    rows = [
        ("one-year report, every format (s)", year["seconds"], GOALS["year_s"]),
        ("one-year report, longest wait for the bar (s)", year["gap"], GOALS["gap_s"]),
        ("30-day report, every format (s)", month["seconds"], GOALS["month_s"]),
        ("30-day report, longest wait for the bar (s)", month["gap"], GOALS["gap_s"]),
        (
            "peak memory of either process (MB)",
            max(year["peak_mb"], month["peak_mb"]),
            GOALS["peak_mb"],
        ),  # fmt: skip
    ]
    for name, measured, goal in rows:
        print(f"{name:52} {measured:10.2f} {goal:8.1f}")
    for name, found in results.items():
        files = ", ".join(f"{k} {v / 1024:.0f} KB" for k, v in found["sizes"].items())
        print(
            f"{name}: {found['notes']:,} tagged notes, {found['patterns']} patterns;"
            f" longest waits (s, before the step): {found['slowest']}; {files}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
