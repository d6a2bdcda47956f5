"""Incidents as JSON Lines (DESIGN section 6): export, and import that gives the same export.

One object a line with the fields of DESIGN section 4; people by username, times ISO 8601
with offset, absent or null when unknown. On import `priority` is recomputed from impact
and urgency, never trusted; unknown people become accounts that cannot sign in; each line
is written whole or not at all, and a bad line is reported with its number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from app import accounts
from app.database import write_transaction
from app.errors import Refused
from app.extensions import db
from app.importers import Summary, parse_time
from app.incidents import check_scale, priority_for
from app.models import (
    INCIDENT_SOURCES,
    INCIDENT_STATUSES,
    Incident,
    IncidentEvent,
    IncidentModel,
    User,
)

TEXT = (
    "number",
    "title",
    "description",
    "service",
    "category",
    "subcategory",
    "status",
    "assignment_group",
    "source",
    "workaround",
    "resolution_code",
    "resolution_notes",
)
TIMES = (
    "detected_at",
    "registered_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "reviewed_at",
)
PEOPLE = ("owner", "reporter")
KEYS = (
    "number",
    "title",
    "description",
    "service",
    "category",
    "subcategory",
    "impact",
    "urgency",
    "priority",
    "status",
    "assignment_group",
    "owner",
    "reporter",
    "source",
    "major",
    "restricted",
    "workaround",
    "resolution_code",
    "resolution_notes",
    "parent",
    "model",
    *TIMES,
)


def incident_record(incident: Incident) -> dict:
    """One incident in the JSONL form, keys in DESIGN's order."""
    names = {
        "owner": incident.owner.username if incident.owner else None,
        "reporter": incident.reporter.username if incident.reporter else None,
        "parent": incident.parent.number if incident.parent else None,
        "model": incident.model.name if incident.model else None,
    }
    record = {}
    for key in KEYS:
        if key in names:
            record[key] = names[key]
        elif key in TIMES:
            value = getattr(incident, key)
            record[key] = value.isoformat() if value else None
        else:
            record[key] = getattr(incident, key)
    return record


def export_incidents(path: Path, viewer: User | None = None) -> int:
    """Write every incident (or those `viewer` may see) to `path`; returns the count."""
    query = select(Incident).order_by(Incident.number)
    if viewer is not None:
        from app.incidents import visible_incidents_clause

        query = query.where(visible_incidents_clause(viewer))
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for incident in db.session.scalars(query):
            out.write(json.dumps(incident_record(incident), ensure_ascii=False) + "\n")
            count += 1
    return count


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            if line.strip():
                yield number, line


def _checked(record) -> dict:
    if not isinstance(record, dict):
        raise Refused("a line must be a JSON object")
    for key in ("number", "title"):
        if not isinstance(record.get(key), str) or not record[key].strip():
            raise Refused(f"{key} is missing")
    for key in ("impact", "urgency"):
        if not isinstance(record.get(key), int):
            raise Refused(f"{key} must be 1, 2 or 3")
        check_scale(key.title(), record[key])
    if record.get("status", "new") not in INCIDENT_STATUSES:
        raise Refused(f"unknown status {record.get('status')!r}")
    if record.get("source", "import") not in INCIDENT_SOURCES:
        raise Refused(f"unknown source {record.get('source')!r}")
    for key in TEXT:
        if record.get(key) is not None and not isinstance(record[key], str):
            raise Refused(f"{key} must be text")
    return record


def import_incidents(path: Path) -> Summary:
    """Import incidents from JSON Lines; running it twice changes nothing."""
    summary = Summary()
    parents: list[tuple[str, str]] = []
    with write_transaction():
        for line_number, line in _lines(path):
            try:
                record = _checked(json.loads(line))
                with db.session.begin_nested():
                    outcome = _upsert(record)
            except (ValueError, Refused) as error:
                summary.skip(
                    "bad lines",
                    f"line {line_number}",
                    getattr(error, "message", None) or str(error),
                )
                continue
            if outcome == "created":
                summary.created += 1
            elif outcome == "updated":
                summary.updated += 1
            else:
                summary.skip("already present (unchanged)")
            if record.get("parent"):
                parents.append((record["number"], record["parent"]))
        _link_parents(parents, summary)
    return summary


def _upsert(record: dict) -> str:
    people = accounts.ensure_accounts({record[k] for k in PEOPLE if record.get(k)})
    values = {key: record.get(key) for key in TEXT}
    values |= {key: parse_time(record.get(key), key) for key in TIMES}
    values |= {
        "impact": record["impact"],
        "urgency": record["urgency"],
        "priority": priority_for(record["impact"], record["urgency"]),
        "owner_id": people.get(record.get("owner")),
        "reporter_id": people.get(record.get("reporter")),
        "major": bool(record.get("major")),
        "restricted": bool(record.get("restricted")),
        "model_id": _model_id(record.get("model")),
    }
    values["status"] = values["status"] or "new"
    values["source"] = values["source"] or "import"
    values["registered_at"] = values["registered_at"] or parse_time(
        record.get("detected_at"), "detected_at"
    )
    if values["registered_at"] is None:
        raise Refused("registered_at is missing")
    incident = db.session.scalar(select(Incident).where(Incident.number == record["number"]))
    if incident is None:
        incident = Incident(**values)
        db.session.add(incident)
        db.session.flush()
        db.session.add(
            IncidentEvent(
                incident_id=incident.id,
                actor_id=values["reporter_id"],
                at=values["registered_at"],
                field="registered",
                new=incident.number,
            )
        )
        return "created"
    changed = {k: v for k, v in values.items() if getattr(incident, k) != v}
    for key, value in changed.items():
        setattr(incident, key, value)
    return "updated" if changed else "unchanged"


def _model_id(name: str | None) -> int | None:
    if not name:
        return None
    model = db.session.scalar(select(IncidentModel).where(IncidentModel.name == name))
    if model is None:
        model = IncidentModel(name=name)
        db.session.add(model)
        db.session.flush()
    return model.id


def _link_parents(parents: list[tuple[str, str]], summary: Summary) -> None:
    numbers = {n for pair in parents for n in pair}
    ids = dict(
        db.session.execute(
            select(Incident.number, Incident.id).where(Incident.number.in_(numbers))
        ).all()
    )
    for child, parent in parents:
        if parent not in ids:
            summary.skip("parents not found", f"incident {child}", parent)
            continue
        db.session.get(Incident, ids[child]).parent_id = ids[parent]
