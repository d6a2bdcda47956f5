"""Read the real ServiceNow event log with the insight engine: its categories as tags.

One command: `.venv/bin/python bench/servicenow_reading.py [--top 8]`.

The log (../shared/data/servicenow-incident-log) has no notes, so no hashtags; its
incidents' categories are the nearest thing to what responders would tag. The script
imports the log into a fresh SQLite database through the same function as
`i2i import servicenow`, reads the incidents with `insights.frames.incidents_frame`,
gives each incident its category as its one tag, and prints, in plain words
(`app.readings`), what `insights.correlations` finds:
- categories ↔ incident attributes (assignment group, priority, hour of week of
  registration): `tag_attributes`, one-sided Fisher, Benjamini–Hochberg;
- categories ↔ outcomes (time to resolve against incidents of the same priority, SLA
  breach, reopening): `tag_outcomes`;
- categories ↔ hand-overs: the share of incidents reassigned at least once, against the
  other categories (Fisher's exact test, Benjamini–Hochberg), which the log records and
  the notes-based outcomes do not.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from scipy.stats import fisher_exact

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "servicenow-incident-log" / "incident_event_log.csv.gz"


def categories_as_tags(incidents: pd.DataFrame) -> pd.DataFrame:
    """One (note, tag) row per incident: its category, as a tag key."""
    known = incidents.dropna(subset=["category"])
    return pd.DataFrame(
        {
            "note": known["id"],
            "tag": known["category"].str.lower().str.replace(" ", "_"),
            "person": "log",
            "incident": known["id"],
            "at": known["registered_at"],
        }
    )


def hand_overs(tags: pd.DataFrame, incidents: pd.DataFrame, min_count: int = 30) -> list[dict]:
    from insights.correlations import with_q

    reassigned = incidents.set_index("id")["reassignment_count"].fillna(0) > 0
    rows = []
    for tag, ids in tags.groupby("tag")["incident"]:
        inside = reassigned.index.isin(ids)
        if inside.sum() < min_count:
            continue
        k_in, n_in = int(reassigned[inside].sum()), int(inside.sum())
        k_out, n_out = int(reassigned[~inside].sum()), int((~inside).sum())
        p = fisher_exact([[k_in, n_in - k_in], [k_out, n_out - k_out]]).pvalue
        rows.append({"tag": tag, "this": k_in / n_in, "others": k_out / n_out, "n": n_in, "p": p})
    found = (r for r in with_q(rows) if r["q"] < 0.05)
    return sorted(found, key=lambda r: -abs(r["this"] - r["others"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from app import create_app, readings
    from app.extensions import db
    from app.intake import servicenow
    from insights import correlations
    from insights.frames import incidents_frame
    from insights.scope import Scope

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/log.sqlite",
                "I2I_INSTANCE_DIR": folder,
            }
        )
        with app.app_context():
            upgrade()
            servicenow.import_servicenow(DATA)
            scope = Scope(datetime(2000, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))
            incidents = incidents_frame(db.session.connection(), scope)
    tags = categories_as_tags(incidents)
    resolved = incidents["resolved_at"].notna().sum()
    print(
        f"{len(incidents):,} incidents ({resolved:,} resolved), "
        f"{tags['tag'].nunique()} categories, read as tags\n"
    )
    attributes = [
        a
        for a in correlations.tag_attributes(tags, incidents.drop(columns=["category"]))
        if a["attribute"] != "service"
    ]
    print(f"Categories and where they land ({len(attributes)} with q < 0.05), strongest first:")
    for row in attributes[: args.top]:
        print(f"- {readings.attribute(row)}")
    outcomes = correlations.tag_outcomes(tags, incidents)
    print(f"\nCategories and how their incidents fare ({len(outcomes)} with q < 0.05):")
    for row in outcomes[: args.top]:
        print(f"- {readings.outcome(row['tag'], row)}")
    moved = hand_overs(tags, incidents)
    print(f"\nCategories and hand-overs between groups ({len(moved)} with q < 0.05):")
    for row in moved[: args.top]:
        print(
            f"- Incidents with #{row['tag']} were reassigned {row['this']:.0%} of the time"
            f" against {row['others']:.0%} for the other categories ({row['n']:,} incidents;"
            f" Fisher's exact test, {readings.q_text(row['q'])})."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
