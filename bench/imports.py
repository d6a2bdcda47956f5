"""Import the real data sets whole and report counts and time (figures for the README).

One command: `.venv/bin/python bench/imports.py`. Each import runs into a fresh SQLite
database through the same function `i2i import ...` uses.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
GOALS = {"servicenow": 30.0, "statuspage": 10.0}


def main() -> int:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.intake import servicenow, statuspage
    from app.models import Incident, IncidentEvent, Note, User

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
                "I2I_INSTANCE_DIR": folder,
            }
        )
        with app.app_context():
            upgrade()
            path = DATA / "servicenow-incident-log" / "incident_event_log.csv.gz"
            started = time.perf_counter()
            summary = servicenow.import_servicenow(path)
            elapsed = time.perf_counter() - started
            counts = [
                db.session.scalar(select(func.count()).select_from(m))
                for m in (Incident, IncidentEvent, User)
            ]
            rows.append(("servicenow", path.name, elapsed, summary, counts))
            before = counts
            folder = DATA / "github-status-history"
            started = time.perf_counter()
            summary = statuspage.import_statuspage(folder)
            elapsed = time.perf_counter() - started
            counts = [
                db.session.scalar(select(func.count()).select_from(m))
                for m in (Incident, Note, User)
            ]
            counts = [counts[0] - before[0], counts[1], counts[2] - before[2]]
            rows.append(("statuspage", folder.name, elapsed, summary, counts))
    print(
        f"\n{'import':<12} {'seconds':>8} {'goal':>6} {'incidents':>10} {'events/notes':>13} "
        f"{'people':>7}  summary"
    )
    for name, _file, elapsed, summary, (incidents, events, people) in rows:
        print(
            f"{name:<12} {elapsed:>8.1f} {GOALS[name]:>6.0f} {incidents:>10,} {events:>13,} "
            f"{people:>7,}  {str(summary).splitlines()[0]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
