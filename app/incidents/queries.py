"""Reading incidents: the list managers filter, an incident's timeline, the major board."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select

from app import follows, visibility
from app.clock import utcnow
from app.errors import Refused
from app.extensions import db
from app.feeds import load_notes
from app.incidents.history import events
from app.incidents.sla import at_risk
from app.itil import DEFAULT_POLICY, OPEN, STATUSES, Policy
from app.models import MAX_ID, Incident, Note, User

SORTS = {
    "priority": (Incident.priority, Incident.registered_at.desc()),
    "newest": (Incident.registered_at.desc(),),
    "oldest": (Incident.registered_at,),
}
PRIORITIES = ("1", "2", "3", "4", "5")
MAX_LISTED = 200


def search_incidents(
    viewer: User,
    *,
    status: str = "",
    priority: str = "",
    service: str = "",
    major: str = "",
    mine: str = "",
    risk: str = "",
    sort: str = "",
    limit: int = MAX_LISTED,
    policy: Policy = DEFAULT_POLICY,
) -> list[Incident]:
    """The incident list a manager filters: open ones by default, most urgent first.
    A value that is not one of a filter's choices is refused, not ignored."""
    if status not in ("", "open", "all", *STATUSES):
        raise Refused("Choose a status from the list (or All).")
    if priority not in ("", *PRIORITIES):
        raise Refused("A priority is 1 to 5.")
    query = select(Incident).where(visibility.visible_incidents_clause(viewer))
    if status == "open" or not status:
        query = query.where(Incident.status.in_(OPEN))
    elif status in STATUSES:
        query = query.where(Incident.status == status)
    if priority in PRIORITIES:
        query = query.where(Incident.priority == int(priority))
    if service:
        query = query.where(Incident.service == service[:120])
    if major == "yes":
        query = query.where(Incident.major.is_(True))
    if mine == "yes":
        query = query.where(Incident.owner_id == viewer.id)
    query = query.order_by(*SORTS.get(sort, SORTS["priority"]), Incident.id.desc())
    found = list(db.session.scalars(query.limit(limit if risk != "yes" else None)))
    if risk == "yes":
        now = utcnow()
        found = [incident for incident in found if at_risk(incident, policy, now)][:limit]
    return found


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # "note" or "event"
    item: object


CURSOR = re.compile(r"([0-9]{1,10})_([0-9]{1,10})(?:_([0-9]{1,11}))?")
# PostgreSQL gives a note its id when its transaction inserts it, not when it commits: a
# note can become visible after one with a higher id was read, below the cursor a live
# page then holds. So a live page is also sent what was posted in the SETTLE before its
# last read (far longer than a write takes), and keeps each entry once (static/js/app.js,
# dedupeEntries). On SQLite writers take turns and ids follow commits anyway.
SETTLE = timedelta(seconds=10)


@dataclass(frozen=True)
class TimelineCursor:
    """How far a page's timeline goes: its newest note id and newest event id (what
    arrived later, even back-dated with "occurred at", has a higher id), and when it was
    read (Unix seconds; 0 in links made before it was kept)."""

    note_id: int = 0
    event_id: int = 0
    read_at: int = 0

    def __str__(self) -> str:
        return f"{self.note_id}_{self.event_id}_{self.read_at}"

    @classmethod
    def parse(cls, value: str | None) -> TimelineCursor | None:
        if not value:
            return None
        match = CURSOR.fullmatch(value)
        if match is None or max(int(match[1]), int(match[2])) > MAX_ID:
            raise Refused("That timeline link is broken; reload the incident.")
        return cls(int(match[1]), int(match[2]), int(match[3] or 0))

    def past(self, items: list[TimelineItem], read_at: datetime) -> TimelineCursor:
        """The cursor once `items`, read at `read_at`, are shown too."""
        notes = [i.item.id for i in items if i.kind == "note"]
        events = [i.item.id for i in items if i.kind == "event"]
        return TimelineCursor(
            max([self.note_id, *notes]), max([self.event_id, *events]), int(read_at.timestamp())
        )

    def settled(self) -> datetime:
        """What was posted before this may be taken as shown (see SETTLE)."""
        return datetime.fromtimestamp(self.read_at, UTC) - SETTLE


def timeline(
    incident: Incident,
    viewer: User,
    *,
    newest_first: bool = False,
    after: TimelineCursor | None = None,
) -> tuple[list[TimelineItem], TimelineCursor]:
    """Notes (as `viewer` sees their cards) and changes in one stream, ordered by when
    they happened (oldest first, or newest first), and the cursor a live page asks with
    next; only those that arrived `after` a cursor when one is given (what a live page
    adds: with what was written just before it, which the page may already show)."""
    read_at = utcnow()
    note_query = select(Note.id).where(
        Note.incident_id == incident.id, visibility.visible_notes_clause(viewer)
    )
    changes = events(incident, viewer)
    if after is not None:
        since = after.settled()
        note_query = note_query.where(or_(Note.id > after.note_id, Note.posted_at >= since))
        changes = [e for e in changes if e.id > after.event_id or e.at >= since]
    ids = list(db.session.scalars(note_query, visibility.viewer_params(viewer)))
    items = [TimelineItem(n.sort_at, "note", n) for n in load_notes(ids, viewer)]
    items += [TimelineItem(e.at, "event", e) for e in changes]
    items.sort(key=lambda i: (i.at, i.kind == "note"), reverse=newest_first)
    return items, (after or TimelineCursor()).past(items, read_at)


def major_board(viewer: User) -> list[Incident]:
    """Open major incidents, most urgent first: the incident managers' board."""
    query = (
        select(Incident)
        .where(
            visibility.visible_incidents_clause(viewer),
            Incident.major.is_(True),
            Incident.status.in_(OPEN),
        )
        .order_by(Incident.priority, Incident.registered_at)
    )
    return list(db.session.scalars(query))


def followed_incidents(viewer: User, limit: int = 8) -> list[Incident]:
    """The incidents `viewer` follows and may see: open ones first, most urgent first."""
    ids = follows.followed(viewer, ("incident",))["incident"]
    if not ids:
        return []
    query = (
        select(Incident)
        .where(Incident.id.in_(ids), visibility.visible_incidents_clause(viewer))
        .order_by(Incident.status.not_in(OPEN), Incident.priority, Incident.registered_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
