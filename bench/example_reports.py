"""The example reports in docs/examples/, made from the real data in ../shared/data/.

One command: `.venv/bin/python bench/example_reports.py`. For each data set it imports
the files into a fresh SQLite database (the same functions as `i2i import statuspage`
and `i2i import servicenow`), writes a pattern report as HTML and PDF with `i2i report`'s
function (people pseudonymised), and the PDF's first pages as PNG (pdftoppm):
  * github-status: GitHub's status history, 2019-2023 (components as tags);
  * servicenow: the ServiceNow event log (no notes: its incident metrics by priority and
    service, and the method; categories as tags are read by bench/servicenow_reading.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "docs" / "examples"

SETS = {
    "github-status": {
        "period": ("2019-01-01", "2023-10-06"),
        "title": "GitHub status history, 2019 to 2023 (components as tags)",
        "import": lambda: _statuspage(DATA / "github-status-history"),
    },
    "servicenow": {
        "period": ("2016-02-29", "2017-02-28"),
        "title": "ServiceNow event log (first 119,998 events): incident metrics",
        "import": lambda: _servicenow(
            DATA / "servicenow-incident-log" / "incident_event_log.csv.gz"
        ),
    },
}


def _statuspage(folder: Path) -> None:
    from app.intake import statuspage

    print(statuspage.import_statuspage(folder))


def _servicenow(path: Path) -> None:
    from flask import current_app

    from app.intake import servicenow

    print(servicenow.import_servicenow(path, policy=current_app.config["I2I_POLICY"]))


def make(name: str, spec: dict) -> None:
    from flask_migrate import upgrade

    from app import create_app, reports

    with tempfile.TemporaryDirectory() as scratch:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/i2i.sqlite",
                "I2I_INSTANCE_DIR": scratch,
            }
        )
        with app.app_context():
            upgrade()
            spec["import"]()
            first, last = spec["period"]
            params = reports.report_params(first=first, last=last, title=spec["title"])
            for kind in ("html", "pdf"):
                path = OUT / f"{name}.{kind}"
                path.write_bytes(reports.build_file(None, params, kind))
                print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.0f} KB)")
    for old in OUT.glob(f"{name}-page-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "2", str(OUT / f"{name}.pdf"),
         str(OUT / f"{name}-page")],
        check=True,
    )  # fmt: skip


def main() -> int:
    if not shutil.which("pdftoppm"):
        print("pdftoppm is missing: `make test` installs poppler-utils", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    for name, spec in SETS.items():
        make(name, spec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
