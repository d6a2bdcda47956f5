"""Writing imported incident records in batches: new ones with their people and events in
one transaction, and later versions of ones imported before, a change an event."""

from __future__ import annotations

from sqlalchemy import insert, select

from app import accounts
from app.database import write_transaction
from app.extensions import db
from app.incidents import update_fields
from app.models import Incident, IncidentEvent, User

# What a later export may change about an incident already imported.
UPDATABLE = (
    "title",
    "category",
    "subcategory",
    "service",
    "impact",
    "urgency",
    "priority",
    "status",
    "assignment_group",
    "owner",
    "resolution_code",
    "resolved_at",
    "closed_at",
    "reassignment_count",
    "reopen_count",
    "made_sla",
    "on_hold_reason",
)


def update_incidents(records: list[dict], importer: str) -> int:
    """Bring incidents imported before up to date with a later export, one event a changed
    field (by the importer account, at the export's last change); returns how many changed."""
    numbers = [r["incident"]["number"] for r in records]
    with write_transaction():
        stored = {
            i.number: i
            for i in db.session.scalars(select(Incident).where(Incident.number.in_(numbers)))
        }
        people = accounts.ensure_accounts(
            {importer} | {r["incident"]["owner"] for r in records if r["incident"]["owner"]}
        )
        account = db.session.get(User, people[importer])
        changed = 0
        for record in records:
            new = record["incident"]
            values = {key: new[key] for key in UPDATABLE if key != "owner"}
            values["owner_id"] = people.get(new["owner"])
            at = max((e["at"] for e in record["events"] if e["at"]), default=None)
            changed += update_fields(account, stored[new["number"]], values, at=at)
    return changed


def store_incidents(records: list[dict]) -> None:
    """Write one batch of incidents with their people and events in one transaction."""
    with write_transaction():
        names = {
            r["incident"][k] for r in records for k in ("owner", "reporter") if r["incident"][k]
        }
        names |= {e["actor"] for r in records for e in r["events"] if e["actor"]}
        people = accounts.ensure_accounts(names)
        rows = []
        for record in records:
            incident = dict(record["incident"])
            incident["owner_id"] = people.get(incident.pop("owner"))
            incident["reporter_id"] = people.get(incident.pop("reporter"))
            rows.append(incident)
        ids = dict(
            db.session.execute(insert(Incident).returning(Incident.number, Incident.id), rows).all()
        )
        events = [
            {
                "incident_id": ids[r["incident"]["number"]],
                "actor_id": people.get(e["actor"]),
                "at": e["at"],
                "field": e["field"],
                "old": e["old"],
                "new": e["new"],
            }
            for r in records
            for e in r["events"]
            if e["at"] is not None
        ]
        if events:
            db.session.execute(insert(IncidentEvent), events)
