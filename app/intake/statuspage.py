"""Atlassian Statuspage histories (as GitHub's status page is kept: one
{"page", "incident"} JSON file per incident): an incident per file, each update a note by
the importer account at its display time, components as the service and as hashtags.
Idempotent by the source's incident id."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from html import unescape
from pathlib import Path

import regex
from sqlalchemy import select

from app import accounts, incidents
from app.clock import parse_time, utcnow
from app.database import write_transaction
from app.errors import Refused
from app.extensions import db
from app.intake import bulk
from app.intake.bulk import NoteDraft
from app.intake.summary import Progress, Summary, progress_or_none
from app.itil import DEFAULT_POLICY
from app.models import Incident, IncidentEvent, User
from app.notes import MAX_LENGTH
from app.text import hashtag_for

MAX_FILE = 16 * 1024**2  # GitHub's largest incident file is 40 KB

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
    wrap = progress_or_none(progress)
    with wrap(files, len(files), "Importing status-page incidents") as paths:
        batch: list[dict] = []
        for path in paths:
            try:
                incident = _read(path)["incident"]
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


def _read(path: Path) -> dict:
    if path.stat().st_size > MAX_FILE:
        raise ValueError(f"larger than {MAX_FILE // 1024**2} MB")
    return json.loads(path.read_text(encoding="utf-8"))


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
    components = [c["name"] for c in incident.get("components") or []]
    tags = _component_tags(components)
    impact, urgency = STATUSPAGE_IMPACT.get(incident.get("impact") or "none", (3, 3))
    created = _iso(incident.get("created_at")) or utcnow()
    resolved = _iso(incident.get("resolved_at"))
    record = Incident(
        number=incidents.next_number(),
        external_ref=f"statuspage:{incident['id']}",
        title=(incident.get("name") or "Status page incident")[:200],
        service=components[0] if components else None,
        impact=impact,
        urgency=urgency,
        priority=DEFAULT_POLICY.priority(impact, urgency),
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
