"""Incidents as JSON Lines: export, import into an empty database, export again: the same."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from app import incidents
from app.extensions import db
from app.intake import incidents_jsonl, servicenow
from app.itil import Policy
from app.models import Incident
from tests.conftest import wipe
from tests.intake.test_servicenow_statuspage import servicenow_slice  # noqa: F401 - a fixture

# The matrix that ServiceNow instance uses (impact 3 × urgency 3 is P4): set as the
# configured one, its records' priorities survive the recomputation on import.
SOURCE_POLICY = Policy(((1, 2, 3), (2, 3, 4), (3, 4, 4)))


def test_export_import_export_round_trips(ctx, servicenow_slice, make_user, tmp_path):  # noqa: F811
    servicenow.import_servicenow(servicenow_slice, policy=SOURCE_POLICY)
    sam = make_user("sam")
    parent = incidents.register(
        sam, title="Ward Wi-Fi down", impact=1, urgency=2, policy=SOURCE_POLICY
    )
    child = incidents.register(
        sam, title="Tablet cannot sync", restricted=True, policy=SOURCE_POLICY
    )
    incidents.link_parent(sam, child, parent)
    incidents.set_workaround(sam, parent, "use the wired kiosks")
    first = tmp_path / "first.jsonl"
    count = incidents_jsonl.export_incidents(first)
    assert count == db.session.scalar(select(func.count()).select_from(Incident))
    record = json.loads(first.read_text().splitlines()[-1])
    assert list(record) == list(incidents_jsonl.KEYS) and record["parent"] == parent.number
    db.session.commit()  # end the test's transaction: wiping waits for it otherwise
    wipe(ctx)
    summary = incidents_jsonl.import_incidents(first, policy=SOURCE_POLICY)
    assert summary.created == count and not summary.problems and not summary.notices
    second = tmp_path / "second.jsonl"
    incidents_jsonl.export_incidents(second)
    assert second.read_text() == first.read_text()
    again = incidents_jsonl.import_incidents(first, policy=SOURCE_POLICY)
    assert again.created == 0 and again.updated == 0


def test_priority_is_recomputed_not_trusted(ctx, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps(
            {
                "number": "INC0001000",
                "title": "x",
                "impact": 1,
                "urgency": 1,
                "priority": 5,
                "registered_at": "2026-01-01T10:00:00+00:00",
            }
        )
    )
    incidents_jsonl.import_incidents(path)
    assert db.session.scalar(select(Incident.priority)) == 1


def test_bad_lines_are_reported_by_number_and_skipped_whole(ctx, tmp_path):
    good = {
        "number": "INC0002000",
        "title": "fine",
        "impact": 2,
        "urgency": 2,
        "registered_at": "2026-01-01T10:00:00+00:00",
        "owner": "new.person",
    }
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps(good | {"number": "INC0002001", "impact": 7}),
        json.dumps(good | {"number": "INC0002002", "status": "exploded"}),
        json.dumps(good | {"number": "INC0002003", "registered_at": "yesterday"}),
        json.dumps(good | {"number": "INC0002004", "registered_at": "2026-01-01T10:00:00"}),
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n")
    summary = incidents_jsonl.import_incidents(path)
    assert summary.created == 1 and summary.skipped == {"bad lines": 5}
    assert [p.split(":")[0] for p in summary.problems] == [f"line {n}" for n in range(2, 7)]
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 1


def test_an_update_by_a_later_file_is_logged_and_nobody_is_left_owning_nothing(ctx, tmp_path):
    base = {
        "number": "INC0003000",
        "title": "Badge readers",
        "impact": 2,
        "urgency": 2,
        "registered_at": "2026-01-01T10:00:00+00:00",
    }
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(base) + "\n")
    incidents_jsonl.import_incidents(path)
    incident = db.session.scalar(select(Incident))
    assert incident.owner.username == "importer" and incident.owner.password_hash is None
    path.write_text(json.dumps(base | {"impact": 1, "owner": "lee", "status": "in_progress"}))
    summary = incidents_jsonl.import_incidents(path)
    assert summary.updated == 1
    changes = {
        (e.field, e.old, e.new) for e in incidents.events(incident) if e.field != "registered"
    }
    assert changes == {
        ("impact", "2", "1"),
        ("priority", "3", "2"),
        ("owner", "importer", "lee"),
        ("status", "new", "in_progress"),
    }
    assert all(e.actor.username == "importer" for e in incidents.events(incident)[1:])
