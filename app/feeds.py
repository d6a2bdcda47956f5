"""Feeds: which notes a timeline shows, newest first, with keyset pagination.

Every feed is the merge of a few *sources*, each an index range: notes by an author,
notes carrying a tag, notes mentioning someone. Each source is cut to one page on its own
index before the merge, so a page costs about (sources × page size) index reads however
many notes the database holds. Visibility is applied inside each source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import Integer, Select, bindparam, func, select, tuple_, union_all
from sqlalchemy.orm import selectinload

from app import follows
from app.errors import Refused
from app.extensions import db
from app.models import Mention, Note, NoteTag, User, UTCDateTime, utcnow
from app.visibility import visible_notes_clause

# SQLite allows 500 terms in one compound SELECT; stay well below it.
MAX_SOURCES = 200
NEW_NOTES_CAP = 99
CURSOR = re.compile(r"(\d{1,17})_(\d{1,18})")


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
            return cls(datetime.fromtimestamp(micros / 1_000_000, UTC), note_id)
        except (ValueError, OverflowError, OSError):
            raise Refused("That page link is broken; reload the feed.") from None

    @classmethod
    def of(cls, note: Note) -> Cursor:
        return cls(note.sort_at, note.id)


@dataclass
class Page:
    notes: list[Note]
    older: Cursor | None  # where the next (older) page starts, None at the end
    newest: Cursor | None  # the top of this page, for polling for newer notes


@dataclass(frozen=True)
class _Shape:
    """What a feed query looks like, without its values: equal shapes share one statement."""

    authors: int  # per-author sources; -1: every author (the "all" feed)
    tags: int  # per-tag sources
    mentions: bool
    wide: bool  # too many authors for one source each: one IN (...) source instead
    direction: str  # "top", "before" or "after"


def _plan(feed: Feed, viewer: User, direction: str) -> tuple[_Shape, dict[str, object]]:
    """The statement shape and the parameter values for `feed` as `viewer` sees it."""
    params: dict[str, object] = {"viewer_id": viewer.id}
    if feed.kind == "all":
        return _Shape(-1, 0, False, False, direction), params
    if feed.kind == "user":
        return _Shape(1, 0, False, False, direction), params | {"a0": feed.subject_id}
    if feed.kind == "tag":
        return _Shape(0, 1, False, False, direction), params | {"t0": feed.subject_id}
    if feed.kind != "home":
        raise ValueError(f"unknown feed {feed.kind!r}")
    authors = [viewer.id, *follows.followed_ids(viewer, "user")]
    tag_ids = follows.followed_ids(viewer, "tag")[:MAX_SOURCES]
    params |= {f"t{i}": tag_id for i, tag_id in enumerate(tag_ids)}
    if len(authors) + len(tag_ids) > MAX_SOURCES:  # very wide follow lists: one broader scan
        return _Shape(1, len(tag_ids), True, True, direction), params | {"authors": authors}
    params |= {f"a{i}": author for i, author in enumerate(authors)}
    return _Shape(len(authors), len(tag_ids), True, False, direction), params


def _id(name: str):
    return bindparam(name, type_=Integer())


def _sources(shape: _Shape) -> list[tuple[Select, tuple]]:
    """Each source of a feed of this shape, with bind parameters where values go."""
    visible = visible_notes_clause(None)

    def by_author(*where):
        query = select(Note.id.label("id"), Note.sort_at.label("sort_at")).where(visible, *where)
        return query, (Note.sort_at, Note.id)

    def by_index(table, *where):
        query = (
            select(table.note_id.label("id"), table.sort_at.label("sort_at"))
            .join(Note, Note.id == table.note_id)
            .where(visible, *where)
        )
        return query, (table.sort_at, table.note_id)

    if shape.authors == -1:
        sources = [by_author()]
    elif shape.wide:
        sources = [
            by_author(Note.author_id.in_(bindparam("authors", expanding=True, type_=Integer())))
        ]
    else:
        sources = [by_author(Note.author_id == _id(f"a{i}")) for i in range(shape.authors)]
    sources += [by_index(NoteTag, NoteTag.tag_id == _id(f"t{i}")) for i in range(shape.tags)]
    if shape.mentions:
        sources.append(by_index(Mention, Mention.user_id == _id("viewer_id")))
    return sources


def _cut(source: tuple[Select, tuple], direction: str) -> Select:
    """One source cut to a page on its own index: keyset condition, order, limit."""
    query, (sort_col, id_col) = source
    cursor = tuple_(bindparam("cursor_at", type_=UTCDateTime()), _id("cursor_id"))
    if direction == "before":
        query = query.where(tuple_(sort_col, id_col) < cursor)
    if direction == "after":
        query = query.where(tuple_(sort_col, id_col) > cursor)
    order = (
        (sort_col.asc(), id_col.asc()) if direction == "after" else (sort_col.desc(), id_col.desc())
    )
    return query.order_by(*order).limit(bindparam("limit", type_=Integer()))


@lru_cache(maxsize=512)
def _statement(shape: _Shape) -> Select:
    """Built once per shape: SQLAlchemy then reuses its compiled form on every request."""
    parts = [_cut(source, shape.direction) for source in _sources(shape)]
    if len(parts) == 1:
        return parts[0]
    merged = union_all(*(select(part.subquery()) for part in parts)).subquery()
    ascending = shape.direction == "after"
    order = (
        (merged.c.sort_at.asc(), merged.c.id.asc())
        if ascending
        else (merged.c.sort_at.desc(), merged.c.id.desc())
    )
    return (
        select(merged.c.id, merged.c.sort_at)
        .distinct()
        .order_by(*order)
        .limit(bindparam("limit", type_=Integer()))
    )


def _candidates(
    feed: Feed, viewer: User, *, before: Cursor | None, after: Cursor | None, limit: int
) -> list[tuple[int, datetime]]:
    """(note id, sort_at) of up to `limit` notes, newest first (oldest first when `after`)."""
    cursor = before or after
    direction = "before" if before else "after" if after else "top"
    shape, params = _plan(feed, viewer, direction)
    params["limit"] = limit
    if cursor is not None:
        params |= {"cursor_at": cursor.sort_at, "cursor_id": cursor.note_id}
    rows = db.session.execute(_statement(shape), params).all()
    return [(row.id, row.sort_at) for row in rows]


def _load(ids: list[int]) -> list[Note]:
    if not ids:
        return []
    notes = db.session.scalars(
        select(Note).where(Note.id.in_(ids)).options(selectinload(Note.reply_to))
    ).all()
    by_id = {note.id: note for note in notes}
    return [by_id[i] for i in ids if i in by_id]


def page(feed: Feed, viewer: User, *, before: Cursor | None = None, limit: int = 20) -> Page:
    """One page of `feed`, newest first, starting below `before` (the top when None)."""
    rows = _candidates(feed, viewer, before=before, after=None, limit=limit + 1)
    notes = _load([note_id for note_id, _ in rows[:limit]])
    older = Cursor.of(notes[-1]) if len(rows) > limit and notes else None
    # An empty feed polls for anything posted from now on.
    newest = Cursor.of(notes[0]) if notes else (before or Cursor(utcnow(), 0))
    return Page(notes, older, newest)


def newer(feed: Feed, viewer: User, after: Cursor | None, *, limit: int = NEW_NOTES_CAP) -> Page:
    """Notes newer than `after`, newest first (what the "N new notes" bar inserts)."""
    if after is None:
        return page(feed, viewer, limit=limit)
    rows = _candidates(feed, viewer, before=None, after=after, limit=limit)
    notes = _load([note_id for note_id, _ in reversed(rows)])
    return Page(notes, None, Cursor.of(notes[0]) if notes else after)


def count_newer(feed: Feed, viewer: User, after: Cursor | None) -> int:
    """How many notes by others arrived above `after` (capped at NEW_NOTES_CAP + 1, "99+").

    The viewer's own notes are left out: the composer already put them on the page.
    """
    if after is None:
        return 0
    rows = _candidates(feed, viewer, before=None, after=after, limit=NEW_NOTES_CAP + 1)
    if not rows:
        return 0
    ids = [note_id for note_id, _ in rows]
    query = select(func.count()).where(Note.id.in_(ids), Note.author_id != viewer.id)
    return db.session.scalar(query) or 0
