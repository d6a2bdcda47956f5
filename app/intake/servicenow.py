"""ServiceNow incident exports (the "incident event log" form: one row per update of an
incident, the last row of a number its final state): one I2I incident per number, its
history rows as timeline events. Idempotent; a later export updates what changed.

The record's priority is kept as the source says: an import must not silently change a
record. Where the source's priorities disagree with the configured matrix, the summary
says how many and which matrix the source follows (`I2I_PRIORITY_MATRIX` could be set
to it).
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from app.clock import EARLIEST, LATEST, YEARS
from app.extensions import db
from app.intake.files import Source
from app.intake.records import store_incidents, update_incidents
from app.intake.summary import Progress, Summary, progress_or_none
from app.itil import DEFAULT_POLICY, Policy, matrix_from_records, matrix_text
from app.models import Incident

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
SERVICENOW_ACCOUNT = "servicenow"  # owns what the export leaves unassigned; cannot sign in


def _value(row: dict, key: str) -> str | None:
    value = (row.get(key) or "").strip()
    return None if value in ("", "?") else value


def _servicenow_time(value: str | None) -> datetime | None:
    """ServiceNow's export writes D/M/YYYY HH:MM (the instance's zone; taken as UTC)."""
    if value is None:
        return None
    moment = datetime.strptime(value, "%d/%m/%Y %H:%M").replace(tzinfo=UTC)
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(f"{value!r} is outside the years {YEARS}")
    return moment


def _scale(value: str | None) -> int:
    """'2 - Medium' → 2."""
    level = (value or "").split(" ", 1)[0]
    if level not in ("1", "2", "3"):
        raise ValueError(f"impact/urgency label {value!r} (1, 2 or 3)")
    return int(level)


def _priority(row: dict, impact: int, urgency: int) -> int:
    """'3 - Moderate' → 3; an export without priorities gets ServiceNow's default matrix."""
    label = _value(row, "priority")
    if label is None:
        return DEFAULT_POLICY.priority(impact, urgency)
    level = label.split(" ", 1)[0]
    if level not in ("1", "2", "3", "4", "5"):
        raise ValueError(f"priority label {label!r}")
    return int(level)


def _username(label: str | None) -> str | None:
    """'Resolver 89' → 'resolver_89' (an account that cannot sign in)."""
    if label is None:
        return None
    return "_".join(label.lower().split())[:30]


def import_servicenow(
    path: Path, progress: Progress | None = None, policy: Policy = DEFAULT_POLICY
) -> Summary:
    """Import a ServiceNow incident event log: one incident per number from its final row,
    its history rows as timeline events. Running it twice changes nothing."""
    summary = Summary()
    wrap = progress_or_none(progress)
    by_number = _rows_by_number(path, wrap, summary)
    existing = set(db.session.scalars(select(Incident.number)))
    records, changed = [], []
    for number, rows in by_number.items():
        try:
            record = _servicenow_record(number, rows)
        except BadRow as error:
            summary.skip("incidents with bad rows", f"line {error.line}", f"{number}: {error}")
            continue
        (changed if number in existing else records).append(record)
    _compare_priorities([*records, *changed], policy, summary)
    with wrap(range(len(records)), len(records), "Importing incidents") as bar:
        for start in range(0, len(records), BATCH):
            batch = records[start : start + BATCH]
            store_incidents(batch)
            summary.created += len(batch)
            bar.update(len(batch))
    with wrap(range(len(changed)), len(changed), "Comparing imported incidents") as bar:
        for start in range(0, len(changed), BATCH):
            batch = changed[start : start + BATCH]
            updated = update_incidents(batch, SERVICENOW_ACCOUNT)
            summary.updated += updated
            for _ in range(len(batch) - updated):
                summary.skip("already imported (unchanged)")
            bar.update(len(batch))
    return summary


REQUIRED = {"number", "incident_state", "opened_at", "impact", "urgency", "sys_updated_at"}


def _rows_by_number(path: Path, wrap: Progress, summary: Summary) -> dict[str, list]:
    """Every row of the export, by incident number, with its line in the file."""
    by_number: dict[str, list[tuple[int, dict]]] = {}
    with Source(path) as source:
        reader = csv.DictReader(source.text)
        missing = REQUIRED - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"not a ServiceNow incident export: no {', '.join(sorted(missing))}")
        with wrap(range(source.size), source.size, "Reading rows") as bar:  # by bytes read
            read = 0
            for line, row in enumerate(reader, start=2):
                if line % 5000 == 0:
                    bar.update(source.position() - read)
                    read = source.position()
                number = _value(row, "number")
                if number is None:
                    summary.skip("rows without a number", f"line {line}")
                    continue
                by_number.setdefault(number, []).append((line, row))
            bar.update(source.size - read)
    return by_number


def _compare_priorities(records: list[dict], policy: Policy, summary: Summary) -> None:
    """Say how many records' priorities differ from what the configured matrix gives, and
    the matrix the source follows (kept as the source says either way)."""
    triples = [
        (r["incident"]["impact"], r["incident"]["urgency"], r["incident"]["priority"])
        for r in records
    ]
    differ = sum(1 for i, u, p in triples if p != policy.priority(i, u))
    if not differ:
        return
    source = matrix_from_records(triples)
    follows = f"its matrix is {matrix_text(source)}" if source else "it follows no one matrix"
    summary.notices.append(
        f"note: {differ:,} of {len(triples):,} incidents have a priority other than the "
        f"configured matrix ({matrix_text(policy.priority_matrix)}) gives; kept as the "
        f"source says ({follows}; set I2I_PRIORITY_MATRIX to use it for new incidents)"
    )


class BadRow(ValueError):
    """A row that cannot be read; `line` is its line in the file."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def _servicenow_record(number: str, rows: list[tuple[int, dict]]) -> dict:
    """The incident (final row) and its events (changes between consecutive rows).

    The owner is the final row's assignee, else the last one the history names, else the
    importer account: someone is responsible at every moment (DESIGN section 4)."""
    try:
        rows = sorted(rows, key=lambda item: (_count(_value(item[1], "sys_mod_count")), item[0]))
    except ValueError:
        line = next(n for n, r in rows if not _is_count(_value(r, "sys_mod_count") or "0"))
        raise BadRow(line, "sys_mod_count is not a number") from None
    line, final = rows[-1]
    try:
        return _servicenow_fields(number, rows, final)
    except BadRow:
        raise
    except ValueError as error:
        raise BadRow(line, str(error)) from None


def _is_count(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 9


def _count(value: str | None) -> int:
    """A count column ("sys_mod_count", "reopen_count"): ASCII digits, at most 9 of them."""
    if value is None:
        return 0
    if not _is_count(value):
        raise ValueError(f"{value[:20]!r} is not a count")
    return int(value)


def _servicenow_fields(number: str, rows: list[tuple[int, dict]], final: dict) -> dict:
    states = [SERVICENOW_STATES.get(_value(r, "incident_state") or "") for _, r in rows]
    known = [s for s in states if s]
    if not known:
        raise ValueError("no known incident_state")
    impact, urgency = _scale(_value(final, "impact")), _scale(_value(final, "urgency"))
    opened = _servicenow_time(_value(final, "opened_at"))
    assignees = [_username(_value(r, "assigned_to")) for _, r in rows]
    owner = next((a for a in reversed(assignees) if a), SERVICENOW_ACCOUNT)
    incident = {
        "number": number,
        "title": f"{_value(final, 'category') or 'Incident'}: "
        f"{_value(final, 'subcategory') or ''} {_value(final, 'u_symptom') or ''}".strip(),
        "category": _value(final, "category"),
        "subcategory": _value(final, "subcategory"),
        "service": _value(final, "cmdb_ci"),
        "impact": impact,
        "urgency": urgency,
        "priority": _priority(final, impact, urgency),
        "status": known[-1],
        "assignment_group": _value(final, "assignment_group"),
        "owner": owner,
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
        "reassignment_count": _count(_value(final, "reassignment_count")),
        "reopen_count": _count(_value(final, "reopen_count")),
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
    for (row_line, row), state in zip(rows, states, strict=True):
        try:
            at = _servicenow_time(_value(row, "sys_updated_at"))
        except ValueError as error:
            raise BadRow(row_line, str(error)) from None
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
