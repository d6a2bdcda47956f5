"""Imports of incident records that organisations already have (idempotent, all or nothing
per incident, bad rows reported with their line numbers)."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from app.database import insert_ignoring_duplicates, write_transaction
from app.extensions import db
from app.incidents import priority_for
from app.models import Incident, IncidentEvent, User

Progress = Callable[[Iterable, int, str], object]


@dataclass
class Summary:
    created: int = 0
    updated: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # "line 12: why", first ones only

    def skip(self, reason: str, line: int | None = None, detail: str = "") -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        if line is not None and len(self.problems) < 50:
            self.problems.append(f"line {line}: {reason}{': ' + detail if detail else ''}")

    def __str__(self) -> str:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())) or "none"
        text = f"created {self.created}, updated {self.updated}, skipped: {skipped}"
        return "\n".join([text, *self.problems])


# ServiceNow's incident_state → I2I status ("-100" means unknown: keep the last known).
SERVICENOW_STATES = {
    "New": "new",
    "Active": "in_progress",
    "Awaiting User Info": "on_hold",
    "Awaiting Problem": "on_hold",
    "Awaiting Vendor": "on_hold",
    "Awaiting Evidence": "on_hold",
    "Resolved": "resolved",
    "Closed": "closed",
}
BATCH = 2000


def _open_text(path: Path):
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return io.StringIO(raw.decode("utf-8-sig"))


def _value(row: dict, key: str) -> str | None:
    value = (row.get(key) or "").strip()
    return None if value in ("", "?") else value


def _servicenow_time(value: str | None) -> datetime | None:
    """ServiceNow's export writes D/M/YYYY HH:MM (the instance's zone; taken as UTC)."""
    if value is None:
        return None
    return datetime.strptime(value, "%d/%m/%Y %H:%M").replace(tzinfo=UTC)


def _scale(value: str | None) -> int:
    """'2 - Medium' → 2."""
    if value is None or not value[:1].isdigit():
        raise ValueError(f"impact/urgency label {value!r}")
    level = int(value.split(" ", 1)[0])
    if level not in (1, 2, 3):
        raise ValueError(f"impact/urgency {level} outside 1–3")
    return level


def _username(label: str | None) -> str | None:
    """'Resolver 89' → 'resolver_89' (an account that cannot sign in)."""
    if label is None:
        return None
    return "_".join(label.lower().split())[:30]


def import_servicenow(path: Path, progress: Progress | None = None) -> Summary:
    """Import a ServiceNow incident event log: one incident per number from its final row,
    its history rows as timeline events. Running it twice changes nothing."""
    summary = Summary()
    by_number: dict[str, list[tuple[int, dict]]] = {}
    reader = csv.DictReader(_open_text(path))
    required = {"number", "incident_state", "opened_at", "impact", "urgency", "sys_updated_at"}
    missing = required - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"not a ServiceNow incident export: no {', '.join(sorted(missing))}")
    for line, row in enumerate(reader, start=2):
        number = _value(row, "number")
        if number is None:
            summary.skip("rows without a number", line)
            continue
        by_number.setdefault(number, []).append((line, row))
    existing = dict(db.session.execute(select(Incident.number, Incident.id)).all())
    records = []
    for number, rows in by_number.items():
        if number in existing:
            summary.skip("already imported (unchanged)")
            continue
        try:
            records.append(_servicenow_record(number, rows))
        except ValueError as error:
            summary.skip("incidents with bad rows", rows[-1][0], f"{number}: {error}")
    wrap = progress or (lambda items, length, label: _Null(items))
    with wrap(
        range(0, len(records), BATCH), len(records) // BATCH + 1, "Importing incidents"
    ) as batches:
        for start in batches:
            _store(records[start : start + BATCH])
            summary.created += len(records[start : start + BATCH])
    return summary


class _Null:
    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self.items

    def __exit__(self, *exc):
        return False


def _servicenow_record(number: str, rows: list[tuple[int, dict]]) -> dict:
    """The incident (final row) and its events (changes between consecutive rows)."""
    rows = sorted(rows, key=lambda item: (int(_value(item[1], "sys_mod_count") or 0), item[0]))
    line, final = rows[-1]
    states = [SERVICENOW_STATES.get(_value(r, "incident_state") or "") for _, r in rows]
    known = [s for s in states if s]
    if not known:
        raise ValueError("no known incident_state")
    impact, urgency = _scale(_value(final, "impact")), _scale(_value(final, "urgency"))
    opened = _servicenow_time(_value(final, "opened_at"))
    incident = {
        "number": number,
        "title": f"{_value(final, 'category') or 'Incident'}: "
        f"{_value(final, 'subcategory') or ''} {_value(final, 'u_symptom') or ''}".strip(),
        "category": _value(final, "category"),
        "subcategory": _value(final, "subcategory"),
        "service": _value(final, "cmdb_ci"),
        "impact": impact,
        "urgency": urgency,
        "priority": priority_for(impact, urgency),
        "status": known[-1],
        "assignment_group": _value(final, "assignment_group"),
        "owner": _username(_value(final, "assigned_to")),
        "reporter": _username(_value(final, "caller_id")),
        "source": "import",
        "major": False,
        "restricted": False,
        "resolution_code": _value(final, "closed_code"),
        "detected_at": opened,
        "registered_at": opened or _servicenow_time(_value(final, "sys_created_at")),
        "resolved_at": _servicenow_time(_value(final, "resolved_at")),
        "closed_at": _servicenow_time(_value(final, "closed_at"))
        if known[-1] == "closed"
        else None,
        "reassignment_count": int(_value(final, "reassignment_count") or 0),
        "reopen_count": int(_value(final, "reopen_count") or 0),
        "made_sla": (_value(final, "made_sla") or "").lower() == "true",
        "on_hold_reason": _value(final, "incident_state") if known[-1] == "on_hold" else None,
    }
    events = [
        {
            "at": incident["registered_at"],
            "actor": _username(_value(rows[0][1], "opened_by")),
            "field": "registered",
            "old": None,
            "new": number,
        }
    ]
    previous = None
    for (_, row), state in zip(rows, states, strict=True):
        at = _servicenow_time(_value(row, "sys_updated_at"))
        actor = _username(_value(row, "sys_updated_by"))
        current = {
            "status": state,
            "assignment_group": _value(row, "assignment_group"),
            "owner": _username(_value(row, "assigned_to")),
        }
        for key, value in current.items():
            old = previous[key] if previous else None
            if value is not None and value != old:
                events.append({"at": at, "actor": actor, "field": key, "old": old, "new": value})
        previous = {k: v or (previous or {}).get(k) for k, v in current.items()}
    return {"incident": incident, "events": events}


def _store(records: list[dict]) -> None:
    """Write one batch of incidents with their people and events in one transaction."""
    with write_transaction():
        names = {
            r["incident"][k] for r in records for k in ("owner", "reporter") if r["incident"][k]
        }
        names |= {e["actor"] for r in records for e in r["events"] if e["actor"]}
        people = _accounts(names)
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


def _accounts(names: set[str]) -> dict[str, int]:
    """Ids of these usernames, creating accounts that cannot sign in for new ones."""
    rows = [
        {
            "username": n,
            "display_name": n.replace("_", " ").title(),
            "password_hash": None,
            "role": "responder",
            "active": True,
            "created_at": datetime.now(UTC),
            "unread_count": 0,
        }
        for n in names
    ]
    insert_ignoring_duplicates(User, rows)
    found = db.session.execute(select(User.username, User.id).where(User.username.in_(names)))
    return dict(found.all())
