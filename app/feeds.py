"""Feeds: which notes a timeline shows, newest first, with keyset pagination.

A feed reads index ranges: notes by time (all), by author (a person), by tag (a tag).
Home merges the viewer's delivered timeline entries (people they follow, their own
notes, mentions; filled on write by `timelines`) with one range per followed tag. Each
range is cut to a page on its own index before the merge, so a page costs about
(ranges × page size) index reads however many notes the database holds. Visibility is
applied in the same query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import Integer, Select, and_, bindparam, func, or_, select, tuple_, union_all
from sqlalchemy.orm import aliased

from app import follows
from app.errors import Refused
from app.extensions import db
from app.models import (
    MAX_ID,
    Incident,
    IncidentEvent,
    IncidentRef,
    Mention,
    Note,
    NoteTag,
    Service,
    TimelineEntry,
    User,
    UTCDateTime,
    utcnow,
)
from app.visibility import (
    viewer_params,
    visible_incidents_by_params,
    visible_incidents_clause,
    visible_notes_clause,
)

NEW_NOTES_CAP = 99
# Followed tags (and incidents) merged into the home feed on read, at most this many of
# each (SQLite allows 500 terms in a UNION).
MAX_FOLLOWED_TAGS = 200
CURSOR = re.compile(r"([0-9]{1,17})_([0-9]{1,10})")


@dataclass(frozen=True)
class Feed:
    """Which timeline: home (of the viewer), all, tag (canonical id) or user (id)."""

    kind: str
    subject_id: int | None = None


@dataclass(frozen=True)
class Cursor:
    sort_at: datetime
    note_id: int

    def __str__(self) -> str:
        micros = int(self.sort_at.timestamp() * 1_000_000)
        return f"{micros}_{self.note_id}"

    @classmethod
    def parse(cls, value: str | None) -> Cursor | None:
        if not value:
            return None
        match = CURSOR.fullmatch(value)
        try:
            if match is None:
                raise ValueError(value)
            micros, note_id = int(match[1]), int(match[2])
            if note_id > MAX_ID:
                raise ValueError(value)
            return cls(datetime.fromtimestamp(micros / 1_000_000, UTC), note_id)
        except (ValueError, OverflowError, OSError):
            raise Refused("That page link is broken; reload the feed.") from None

    @classmethod
    def of(cls, note: Note | NoteView) -> Cursor:
        return cls(note.sort_at, note.id)


@dataclass
class Page:
    notes: list[NoteView]
    older: Cursor | None  # where the next (older) page starts, None at the end
    newest: Cursor | None  # the top of this page, for polling for newer notes
    events: list[EventView] = field(default_factory=list)  # home: followed incidents' changes

    def entries(self) -> list[NoteView | EventView]:
        """Notes and incident events in one stream, newest first."""
        if not self.events:
            return list(self.notes)
        stream = [(n.sort_at, 1, n) for n in self.notes] + [(e.at, 0, e) for e in self.events]
        return [item for _, _, item in sorted(stream, key=lambda s: (s[0], s[1]), reverse=True)]


def _id(name: str):
    return bindparam(name, type_=Integer())


def _range(kind: str, param: str) -> tuple[Select, tuple]:
    """One index range of notes, with a bind parameter for its subject."""
    visible = visible_notes_clause(None)
    if kind in ("all", "user", "incident"):
        query = select(Note.id.label("id"), Note.sort_at.label("sort_at")).where(visible)
        if kind == "user":
            query = query.where(Note.author_id == _id(param))
        if kind == "incident":
            query = query.where(Note.incident_id == _id(param))
        return query, (Note.sort_at, Note.id)
    table, column = {
        "tag": (NoteTag, NoteTag.tag_id),
        "timeline": (TimelineEntry, TimelineEntry.user_id),
    }[kind]
    query = (
        select(table.note_id.label("id"), table.sort_at.label("sort_at"))
        .join(Note, Note.id == table.note_id)
        .where(visible, column == _id(param))
    )
    return query, (table.sort_at, table.note_id)


def _cut(source: tuple[Select, tuple], direction: str) -> Select:
    """A range cut to one page on its own index: keyset condition, order, limit."""
    query, (sort_col, id_col) = source
    cursor = tuple_(bindparam("cursor_at", type_=UTCDateTime()), _id("cursor_id"))
    if direction == "before":
        query = query.where(tuple_(sort_col, id_col) < cursor)
    if direction == "after":
        query = query.where(tuple_(sort_col, id_col) > cursor)
    return query.order_by(*_order(sort_col, id_col, direction)).limit(_id("limit"))


def _order(sort_col, id_col, direction: str) -> tuple:
    """Newest first; oldest first when reading what came `after` a cursor."""
    if direction == "after":
        return sort_col.asc(), id_col.asc()
    return sort_col.desc(), id_col.desc()


@lru_cache(maxsize=256)
def _statement(kind: str, direction: str, tags: int = 0, incidents: int = 0) -> Select:
    """A page of a feed kind (home: with `tags` followed tags and `incidents` followed
    incidents). Built once per shape, so SQLAlchemy reuses its compiled form."""
    if kind != "home":
        return _cut(_range(kind, "subject_id"), direction)
    ranges = [_range("timeline", "viewer_id")] + [_range("tag", f"t{i}") for i in range(tags)]
    ranges += [_range("incident", f"i{i}") for i in range(incidents)]
    parts = [_cut(r, direction) for r in ranges]
    if len(parts) == 1:
        return parts[0]
    merged = union_all(*(select(part.subquery()) for part in parts)).subquery()
    query = select(merged.c.id, merged.c.sort_at).distinct()
    return query.order_by(*_order(merged.c.sort_at, merged.c.id, direction)).limit(_id("limit"))


def _shape_and_params(
    feed: Feed,
    viewer: User,
    *,
    before: Cursor | None,
    after: Cursor | None,
    limit: int,
    followed: dict[str, list[int]] | None = None,
) -> tuple[tuple[str, str, int, int], dict[str, object]]:
    """Which statement reads this page of `feed` (kind, direction, followed tags and
    incidents: `_statement`'s arguments) and the values of its parameters. A home feed
    merges what the viewer follows (`follows.followed`, read here if not given)."""
    cursor = before or after
    direction = "before" if before else "after" if after else "top"
    params: dict[str, object] = {"subject_id": feed.subject_id, "limit": limit}
    params |= viewer_params(viewer)
    tags: list[int] = []
    followed_incidents: list[int] = []
    if feed.kind == "home":
        followed = followed or follows.followed(viewer)
        tags = followed["tag"][:MAX_FOLLOWED_TAGS]
        followed_incidents = followed["incident"][:MAX_FOLLOWED_TAGS]
        params |= {f"t{i}": tag_id for i, tag_id in enumerate(tags)}
        params |= {f"i{i}": incident for i, incident in enumerate(followed_incidents)}
    if cursor is not None:
        params |= {"cursor_at": cursor.sort_at, "cursor_id": cursor.note_id}
    return (feed.kind, direction, len(tags), len(followed_incidents)), params


def _notes(feed: Feed, viewer: User, **cut) -> list[NoteView]:
    """Up to `limit` notes of the feed, newest first (oldest first when `after`), found and
    read in one statement."""
    shape, params = _shape_and_params(feed, viewer, **cut)
    return [_view(row) for row in db.session.execute(_notes_statement(*shape), params)]


@dataclass(frozen=True)
class Author:
    id: int
    username: str
    display_name: str


@dataclass(frozen=True)
class IncidentBadge:
    """The incident a note belongs to, as its card names it."""

    number: str
    title: str
    status: str


@dataclass(frozen=True)
class ParentSnippet:
    """The start of the note a reply answers, as its card quotes it."""

    id: int
    username: str
    display_name: str
    text: str  # at most SNIPPET characters, "…" added when cut


SNIPPET = 100


@dataclass(frozen=True)
class NoteView:
    """A note as a feed shows it: plain values read in one query, no ORM bookkeeping
    (a feed page is read far more often than anything on it changes)."""

    id: int
    author_id: int
    text: str
    posted_at: datetime
    occurred_at: datetime | None
    sort_at: datetime
    reply_to_id: int | None
    edited_at: datetime | None
    retracted_at: datetime | None
    reply_count: int
    retracted_by_id: int | None
    author: Author
    # What its text may link: the people mentioned when it was written, and the incident
    # numbers it names that the viewer may open (others stay plain text, so a link never
    # tells a restricted incident from one that does not exist).
    mentioned: frozenset[str] = frozenset()
    linked_incidents: frozenset[str] = frozenset()
    # Its incident (even when the text does not name it) and, for a reply, the start of
    # its parent: both only when the viewer may see them.
    incident: IncidentBadge | None = None
    parent: ParentSnippet | None = None

    @property
    def is_retracted(self) -> bool:
        return self.retracted_at is not None


_MENTIONED = (
    select(func.aggregate_strings(User.username, " "))
    .join(Mention, Mention.user_id == User.id)
    .where(Mention.note_id == Note.id)
    .correlate(Note)
    .scalar_subquery()
)
_LINKED = (
    select(func.aggregate_strings(Incident.number, " "))
    .join(IncidentRef, IncidentRef.number == Incident.number)
    .where(IncidentRef.note_id == Note.id, visible_incidents_by_params())
    .correlate(Note)
    .scalar_subquery()
)
_NOTE_COLUMNS = [
    Note.id,
    Note.author_id,
    Note.text,
    Note.posted_at,
    Note.occurred_at,
    Note.sort_at,
    Note.reply_to_id,
    Note.edited_at,
    Note.retracted_at,
    Note.reply_count,
    Note.retracted_by_id,
]
# The incident a card names and the parent a reply quotes, each joined only when the
# viewer may see it (by primary key: no extra statement, no sort).
_CardIncident = aliased(Incident, name="card_incident")
_Parent = aliased(Note, name="parent_note")
_ParentAuthor = aliased(User, name="parent_author")
_CARD_COLUMNS = [
    *_NOTE_COLUMNS,
    User.username,
    User.display_name,
    _MENTIONED,
    _LINKED,
    _CardIncident.number,
    _CardIncident.title,
    _CardIncident.status,
    _ParentAuthor.username,
    _ParentAuthor.display_name,
    func.substr(_Parent.text, 1, SNIPPET + 1),
]


def _with_context(query: Select) -> Select:
    """A card query with the outer joins its incident and parent columns read."""
    return (
        query.outerjoin(
            _CardIncident,
            and_(_CardIncident.id == Note.incident_id, visible_incidents_by_params(_CardIncident)),
        )
        .outerjoin(
            _Parent, and_(_Parent.id == Note.reply_to_id, visible_notes_clause(None, _Parent))
        )
        .outerjoin(_ParentAuthor, _ParentAuthor.id == _Parent.author_id)
    )


_NOTES_BY_ID = _with_context(
    select(*_CARD_COLUMNS)
    .join(User, User.id == Note.author_id)
    .where(Note.id.in_(bindparam("ids", expanding=True)))
)


_VISIBLE_NOTES_BY_ID = _NOTES_BY_ID.where(visible_notes_clause(None))


@lru_cache(maxsize=256)
def _notes_statement(kind: str, direction: str, tags: int = 0, incidents: int = 0) -> Select:
    """A page's notes with their authors: `_statement`'s rows joined to theirs, in order."""
    cut = _statement(kind, direction, tags, incidents).subquery()
    query = (
        select(*_CARD_COLUMNS)
        .select_from(cut)
        .join(Note, Note.id == cut.c.id)
        .join(User, User.id == Note.author_id)
    )
    return _with_context(query).order_by(*_order(cut.c.sort_at, cut.c.id, direction))


@lru_cache(maxsize=256)
def _others_statement(kind: str, direction: str, tags: int = 0, incidents: int = 0) -> Select:
    """How many of `_statement`'s notes someone other than the viewer wrote."""
    cut = _statement(kind, direction, tags, incidents).subquery()
    query = select(func.count()).select_from(cut).join(Note, Note.id == cut.c.id)
    return query.where(Note.author_id != _id("viewer_id"))


def _view(row) -> NoteView:
    *values, username, display_name, mentioned, linked = row[:-6]
    number, title, status, parent_username, parent_name, parent_text = row[-6:]
    parent = None
    if parent_username is not None:
        snippet = parent_text if len(parent_text) <= SNIPPET else parent_text[:SNIPPET] + "…"
        parent = ParentSnippet(row.reply_to_id, parent_username, parent_name, snippet)
    return NoteView(
        *values,
        author=Author(row.author_id, username, display_name),
        mentioned=frozenset((mentioned or "").split()),
        linked_incidents=frozenset((linked or "").split()),
        incident=IncidentBadge(number, title, status) if number is not None else None,
        parent=parent,
    )


def load_notes(ids: list[int], viewer: User | None, *, visible_only: bool = True) -> list[NoteView]:
    """The notes with these ids as `viewer` sees their cards, in the order given: only
    those the viewer may see, or (`visible_only=False`: a thread's retracted stubs, a list
    the caller has filtered already) all of them."""
    if not ids:
        return []
    by_id = {}
    statement = _VISIBLE_NOTES_BY_ID if visible_only else _NOTES_BY_ID
    rows = db.session.execute(statement, {"ids": ids} | viewer_params(viewer))
    for row in rows:
        by_id[row.id] = _view(row)
    return [by_id[i] for i in ids if i in by_id]


def page(feed: Feed, viewer: User, *, before: Cursor | None = None, limit: int = 20) -> Page:
    """One page of `feed`, newest first, starting below `before` (the top when None).

    A home page also shows the changes to followed incidents (and the incidents of followed
    services) that happened in the stretch of time its notes cover."""
    followed = follows.followed(viewer) if feed.kind == "home" else None
    notes = _notes(feed, viewer, before=before, after=None, limit=limit + 1, followed=followed)
    more = len(notes) > limit
    notes = notes[:limit]
    older = Cursor.of(notes[-1]) if more else None
    # An empty feed polls for anything posted from now on.
    newest = Cursor.of(notes[0]) if notes else (before or Cursor(utcnow(), 0))
    events = []
    if followed is not None:
        events = followed_events(
            viewer,
            followed,
            since=older.sort_at if older else None,
            until=before.sort_at if before else None,
        )
    return Page(notes, older, newest, events)


# The changes to a followed incident that reach the home feed (not every field edit).
HOME_EVENT_FIELDS = ("registered", "status", "owner", "priority", "major", "parent")
MAX_EVENTS_A_PAGE = 30


@dataclass(frozen=True)
class EventView:
    at: datetime
    field: str
    old: str | None
    new: str | None
    actor: str | None  # username; None: the system
    number: str
    title: str


def followed_events(
    viewer: User,
    followed: dict[str, list[int]],
    *,
    since: datetime | None,
    until: datetime | None,
) -> list[EventView]:
    """Changes in [since, until) to incidents `viewer` follows or whose service they follow
    (`follows.followed`), newest first (at most MAX_EVENTS_A_PAGE), restricted incidents
    only for their team."""
    incidents, services = followed["incident"], followed["service"]
    if not incidents and not services:
        return []
    service_names = select(Service.name).where(Service.id.in_(services))
    query = (
        select(IncidentEvent, Incident.number, Incident.title, User.username)
        .join(Incident, Incident.id == IncidentEvent.incident_id)
        .outerjoin(User, User.id == IncidentEvent.actor_id)
        .where(
            or_(Incident.id.in_(incidents), Incident.service.in_(service_names)),
            IncidentEvent.field.in_(HOME_EVENT_FIELDS),
            visible_incidents_clause(viewer),
        )
    )
    if since is not None:
        query = query.where(IncidentEvent.at >= since)
    if until is not None:
        query = query.where(IncidentEvent.at < until)
    query = query.order_by(IncidentEvent.at.desc(), IncidentEvent.id.desc())
    return [
        EventView(e.at, e.field, e.old, e.new, username, number, title)
        for e, number, title, username in db.session.execute(query.limit(MAX_EVENTS_A_PAGE))
    ]


def newer(feed: Feed, viewer: User, after: Cursor | None, *, limit: int = NEW_NOTES_CAP) -> Page:
    """Notes newer than `after`, newest first (what the "N new notes" bar inserts)."""
    if after is None:
        return page(feed, viewer, limit=limit)
    notes = _notes(feed, viewer, before=None, after=after, limit=limit)[::-1]
    return Page(notes, None, Cursor.of(notes[0]) if notes else after)


def count_newer(feed: Feed, viewer: User, after: Cursor | None) -> int:
    """How many notes by others arrived above `after` (capped at NEW_NOTES_CAP + 1, "99+").

    The viewer's own notes are left out: the composer already put them on the page.
    """
    if after is None:
        return 0
    shape, params = _shape_and_params(
        feed, viewer, before=None, after=after, limit=NEW_NOTES_CAP + 1
    )
    return db.session.scalar(_others_statement(*shape), params) or 0
