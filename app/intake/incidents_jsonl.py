"""Incidents as JSON Lines (DESIGN §6): export, and an import that gives the same export.

One object a line with the fields of DESIGN §4; people by username, times ISO 8601 with
offset, absent or null when unknown. On import `priority` is recomputed from impact and
urgency by the configured matrix, never trusted; unknown people become accounts that
cannot sign in; each line is written whole or not at all, and a bad line is reported with
its number.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from app import accounts, visibility
from app.clock import parse_time
from app.database import write_transaction
from app.errors import Refused
from app.extensions import db
from app.incidents import update_fields
from app.intake.files import TOO_LONG, lines
from app.intake.summary import Progress, Summary, progress_or_none
from app.itil import DEFAULT_POLICY, STATUSES, Policy, check_scale, matrix_text
from app.models import INCIDENT_SOURCES, Incident, IncidentEvent, IncidentModel, User

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
IMPORTER = "importer"  # the account that imported changes are by; cannot sign in
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
        query = query.where(visibility.visible_incidents_clause(viewer))
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for incident in db.session.scalars(query):
            out.write(json.dumps(incident_record(incident), ensure_ascii=False) + "\n")
            count += 1
    return count


def _checked(record) -> dict:
    if not isinstance(record, dict):
        raise Refused("a line must be a JSON object")
    for key in ("number", "title"):
        if not isinstance(record.get(key), str) or not record[key].strip():
            raise Refused(f"{key} is missing")
    for key in ("impact", "urgency"):
        if not isinstance(record.get(key), int) or isinstance(record[key], bool):
            raise Refused(f"{key} must be 1, 2 or 3")
        check_scale(key.title(), record[key])
    if record.get("status", "new") not in (*STATUSES, None):
        raise Refused(f"unknown status {record.get('status')!r}")
    if record.get("source", "import") not in (*INCIDENT_SOURCES, None):
        raise Refused(f"unknown source {record.get('source')!r}")
    for key in TEXT:
        if record.get(key) is not None and not isinstance(record[key], str):
            raise Refused(f"{key} must be text")
        longest = getattr(Incident.__table__.c[key].type, "length", None)
        if longest and len(record.get(key) or "") > longest:
            raise Refused(f"{key} is longer than {longest} characters")
    for key in ("owner", "reporter", "parent", "model"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise Refused(f"{key} must be text")
    return record


def import_incidents(
    path: Path, progress: Progress | None = None, policy: Policy = DEFAULT_POLICY
) -> Summary:
    """Import incidents from JSON Lines; running it twice changes nothing."""
    summary = Summary()
    parents: list[tuple[str, str]] = []
    recomputed = 0
    total = sum(1 for _ in lines(path))
    wrap = progress_or_none(progress)
    with write_transaction(), wrap(lines(path), total, "Importing incidents") as numbered:
        for line_number, line in numbered:
            try:
                if line is None:
                    raise Refused(TOO_LONG)
                record = _checked(json.loads(line))
                with db.session.begin_nested():
                    outcome = _upsert(record, policy)
                if record.get("priority") not in (
                    None,
                    policy.priority(record["impact"], record["urgency"]),
                ):
                    recomputed += 1
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
    if recomputed:
        summary.notices.append(
            f"note: {recomputed:,} incidents came with a priority other than the configured "
            f"matrix ({matrix_text(policy.priority_matrix)}) gives for their impact and "
            "urgency; recomputed by the matrix (DESIGN §6)"
        )
    return summary


def _upsert(record: dict, policy: Policy) -> str:
    """Create or update one incident; an update logs an event a changed field, by the
    importer account. A record without an owner is owned by that account (someone is
    responsible at every moment, DESIGN section 4)."""
    record = record | {"owner": record.get("owner") or IMPORTER}
    people = accounts.ensure_accounts({record[k] for k in PEOPLE if record.get(k)} | {IMPORTER})
    values = {key: record.get(key) for key in TEXT}
    values |= {key: parse_time(record.get(key), key) for key in TIMES}
    values |= {
        "impact": record["impact"],
        "urgency": record["urgency"],
        "priority": policy.priority(record["impact"], record["urgency"]),
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
    importer = db.session.get(User, people[IMPORTER])
    return "updated" if update_fields(importer, incident, values) else "unchanged"


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
