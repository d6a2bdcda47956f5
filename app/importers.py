"""Imports of incident records that organisations already have (idempotent, all or nothing
per incident, bad rows reported with their line numbers)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from html import unescape
from pathlib import Path

import regex
from sqlalchemy import insert, select

from app import accounts, bulk
from app.bulk import NoteDraft
from app.database import write_transaction
from app.errors import Refused
from app.extensions import db
from app.incidents import priority_for
from app.models import Incident, IncidentEvent, User
from app.notes import MAX_LENGTH
from app.text import hashtag_for

Progress = Callable[[Iterable, int, str], object]


@dataclass
class Summary:
    created: int = 0
    updated: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # "line 12: why", first ones only

    def skip(self, reason: str, where: str | None = None, detail: str = "") -> None:
        """Count a skipped record; `where` ("line 12", a file name) lists it as a problem."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        if where is not None and len(self.problems) < 50:
            self.problems.append(f"{where}: {reason}{': ' + detail if detail else ''}")

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
SERVICENOW_ACCOUNT = "servicenow"  # owns what the export leaves unassigned; cannot sign in
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
    text = _open_text(path)
    size = text.seek(0, io.SEEK_END)
    text.seek(0)
    reader = csv.DictReader(text)
    required = {"number", "incident_state", "opened_at", "impact", "urgency", "sys_updated_at"}
    missing = required - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"not a ServiceNow incident export: no {', '.join(sorted(missing))}")
    wrap = progress or (lambda items, length, label: NoProgress(items))
    with wrap(range(size), size, "Reading rows") as bar:  # by characters read
        read = 0
        for line, row in enumerate(reader, start=2):
            if line % 5000 == 0:
                bar.update(text.tell() - read)
                read = text.tell()
            number = _value(row, "number")
            if number is None:
                summary.skip("rows without a number", f"line {line}")
                continue
            by_number.setdefault(number, []).append((line, row))
        bar.update(size - read)
    existing = set(db.session.scalars(select(Incident.number)))
    records, changed = [], []
    for number, rows in by_number.items():
        try:
            record = _servicenow_record(number, rows)
        except BadRow as error:
            summary.skip("incidents with bad rows", f"line {error.line}", f"{number}: {error}")
            continue
        (changed if number in existing else records).append(record)
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


class NoProgress:
    """What a progress bar gives when nobody watches: the items, and updates that do nothing."""

    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __iter__(self):
        return iter(self.items)

    def update(self, steps: int) -> None:
        pass


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
        rows = sorted(rows, key=lambda item: (int(_value(item[1], "sys_mod_count") or 0), item[0]))
    except ValueError:
        line = next(n for n, r in rows if not (_value(r, "sys_mod_count") or "0").isdigit())
        raise BadRow(line, "sys_mod_count is not a number") from None
    line, final = rows[-1]
    try:
        return _servicenow_fields(number, rows, final)
    except BadRow:
        raise
    except ValueError as error:
        raise BadRow(line, str(error)) from None


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
        "priority": priority_for(impact, urgency),
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


def update_incidents(records: list[dict], importer: str) -> int:
    """Bring incidents imported before up to date with a later export, one event a changed
    field (by the importer account, at the export's last change); returns how many changed."""
    from app.incidents import update_fields

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


# Statuspage impact → (impact, urgency): critical P1, major P2, minor P3, none P5.
STATUSPAGE_IMPACT = {"critical": (1, 1), "major": (1, 2), "minor": (2, 2), "none": (3, 3)}
STATUSPAGE_ACCOUNT = "statuspage"
# A pre-2019 update's list item: "<li><strong>2018-06-01 14:05</strong> - text</li>", or
# with the time only ("<strong>15:14</strong>"), on the day of the update's display time.
LEGACY_ITEM = regex.compile(
    r"<li>\s*<strong>\s*(\d{4}-\d\d-\d\d )?(\d\d?:\d\d(?::\d\d)?)\s*</strong>\s*-?\s*(.*?)</li>",
    regex.S,
)
TAGS_HTML = regex.compile(r"<[^>]+>")


def parse_time(value, what: str) -> datetime | None:
    """An ISO 8601 time with its offset from another system's data (None when empty)."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"{what} is not an ISO 8601 time: {str(value)[:40]!r}.") from None
    if moment.tzinfo is None:
        raise Refused(f"{what} needs a time zone offset (e.g. +00:00).")
    return moment


def _iso(value: str | None) -> datetime | None:
    return parse_time(value, "a status-page time")


def _plain(html: str) -> str:
    return " ".join(unescape(TAGS_HTML.sub(" ", html)).split())


def _messages(update: dict) -> list[tuple[datetime, str]]:
    """(time, text) of an update; a pre-2019 HTML update holds several timestamped ones."""
    body = update.get("body") or ""
    when = _iso(update.get("display_at") or update.get("created_at"))
    items = LEGACY_ITEM.findall(body)
    if not items:
        text = _plain(body)
        return [(when, text)] if text and when else []
    messages: list[tuple[datetime, str]] = []
    day = when.astimezone(UTC).date() if when else None
    for on, clock, html in items:
        if on:
            at = datetime.fromisoformat(on + clock.zfill(5)).replace(tzinfo=UTC)
        elif day is None:
            continue
        else:  # the time only: the update's day, the next one once the clock wraps
            at = datetime.combine(day, time.fromisoformat(clock.zfill(5)), UTC)
            if messages and at < messages[-1][0]:
                day += timedelta(days=1)
                at += timedelta(days=1)
        if _plain(html):
            messages.append((at, _plain(html)))
    return messages


def _chunks(text: str, size: int) -> list[str]:
    """Split a long message at spaces into notes that fit (numbered "(1/3)")."""
    if len(text) <= size:
        return [text]
    parts, current = [], ""
    for word in text.split(" "):
        if current and len(current) + 1 + len(word) > size - 8:
            parts.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    parts.append(current)
    return [f"{part} ({i}/{len(parts)})" for i, part in enumerate(parts, 1)]


def import_statuspage(folder: Path, progress: Progress | None = None) -> Summary:
    """Import Statuspage incident JSON (one {"page", "incident"} file each): an incident
    per file, each update a note by the importer account at its display time, components
    as the service and as hashtags. Running it twice changes nothing."""
    files = sorted((folder / "incidents").glob("*.json")) or sorted(folder.glob("*.json"))
    files = [f for f in files if f.name != "incident_codes.json"]
    if not files:
        raise ValueError(f"no Statuspage incident files in {folder}")
    summary = Summary()
    account = accounts.find_user(STATUSPAGE_ACCOUNT) or accounts.create_user(
        STATUSPAGE_ACCOUNT, role="responder", display_name="Status page (imported)"
    )
    known = set(
        db.session.scalars(
            select(Incident.external_ref).where(Incident.external_ref.like("statuspage:%"))
        )
    )
    wrap = progress or (lambda items, length, label: NoProgress(items))
    with wrap(files, len(files), "Importing status-page incidents") as paths:
        batch: list[dict] = []
        for path in paths:
            try:
                incident = json.loads(path.read_text())["incident"]
                ref = f"statuspage:{incident['id']}"
            except (ValueError, KeyError, TypeError) as error:
                summary.skip("unreadable files", path.name, str(error))
                continue
            if ref in known:
                summary.skip("already imported (unchanged)")
                continue
            batch.append(incident)
            if len(batch) == 100:
                _store_statuspage(batch, account, summary)
                batch = []
        _store_statuspage(batch, account, summary)
    return summary


def _store_statuspage(batch, account, summary: Summary) -> None:
    """Write a batch in one transaction; each incident in a savepoint of its own, so a bad
    one is skipped with its reason and never half-written."""
    with write_transaction():
        drafts: list[NoteDraft] = []
        for incident in batch:
            try:
                with db.session.begin_nested():
                    notes = _statuspage_incident(incident, account)
            except (Refused, KeyError, TypeError, ValueError) as error:
                reason = getattr(error, "message", None) or repr(error)
                summary.skip("incidents with bad updates", f"incident {incident.get('id')}", reason)
                continue
            drafts += notes
            summary.created += 1
        bulk.post_notes(drafts)  # checked with their incidents: the batch's notes at once


def _component_tags(components: list[str], room: int = 120) -> str:
    tags = ""
    for tag in filter(None, map(hashtag_for, components)):
        if len(tags) + 1 + len(tag) > room:
            break
        tags = f"{tags} {tag}".strip()
    return tags


def _statuspage_incident(incident: dict, account: User) -> list[NoteDraft]:
    """Store one status-page incident with its events; returns its notes, checked, for
    the batch to write together."""
    from app import incidents

    components = [c["name"] for c in incident.get("components") or []]
    tags = _component_tags(components)
    impact, urgency = STATUSPAGE_IMPACT.get(incident.get("impact") or "none", (3, 3))
    created = _iso(incident.get("created_at")) or datetime.now(UTC)
    resolved = _iso(incident.get("resolved_at"))
    record = Incident(
        number=incidents.next_number(),
        external_ref=f"statuspage:{incident['id']}",
        title=(incident.get("name") or "Status page incident")[:200],
        service=components[0] if components else None,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact, urgency),
        status="resolved" if incident.get("status") == "resolved" else "in_progress",
        owner_id=account.id,
        reporter_id=account.id,
        source="import",
        major=False,
        restricted=False,
        detected_at=_iso(incident.get("started_at")),
        registered_at=created,
        acknowledged_at=created,
        resolved_at=resolved,
        resolution_code="Solved (Permanently)" if resolved else None,
    )
    db.session.add(record)
    db.session.flush()
    db.session.add(
        IncidentEvent(
            incident_id=record.id,
            actor_id=account.id,
            at=created,
            field="registered",
            new=record.number,
        )
    )
    room = MAX_LENGTH - len(tags) - 1
    updates = sorted(
        incident.get("incident_updates") or [], key=lambda u: u.get("display_at") or ""
    )
    drafts = [
        NoteDraft(account.id, f"{chunk} {tags}".strip(), when, incident_id=record.id)
        for update in updates
        for when, text in _messages(update)
        for chunk in _chunks(text, room)
    ]
    drafts = bulk.checked(drafts)  # a bad note refuses its incident here, in its savepoint
    if resolved:
        db.session.add(
            IncidentEvent(
                incident_id=record.id,
                actor_id=account.id,
                at=resolved,
                field="status",
                old="in_progress",
                new="resolved",
            )
        )
    return drafts
