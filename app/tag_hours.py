"""Tag × hour aggregates: how many notes each person wrote with a canonical tag in an hour.

Derived data, like the search index and home timelines. Every change to a note's tags
(post, edit, retract, bulk import) adds or removes its counts in the note's own
transaction; an alias merge and `i2i insights rebuild` count the rows afresh from the
notes, with the same grouping. A test checks that upkeep and rebuild agree.

A row is (tag, hour, author, incident or 0): distinct people per tag and bucket are rows
counted, notes are `notes` summed, and an analysis leaves out the incidents hidden from
its viewer by id (the restricted incidents it may not see are few).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Integer, delete, func, insert, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from app.database import add_to_counters, insert_rows
from app.extensions import db
from app.models import Note, NoteTag, TagHour

KEY = ["tag_id", "hour", "author_id", "incident_id"]


def hour_of(when: datetime) -> int:
    """Hours since 1970-01-01 UTC (the bucket a time falls in)."""
    return int(when.timestamp()) // 3600


class epoch_hour(FunctionElement):  # noqa: N801 - reads as the SQL function it compiles to
    """`hour_of` in SQL, on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True


@compiles(epoch_hour, "sqlite")
def _epoch_hour_sqlite(element, compiler, **kw):
    (column,) = element.clauses
    return f"(CAST(strftime('%s', {compiler.process(column, **kw)}) AS INTEGER) / 3600)"


@compiles(epoch_hour, "postgresql")
def _epoch_hour_postgresql(element, compiler, **kw):
    (column,) = element.clauses
    return f"CAST(floor(extract(epoch FROM {compiler.process(column, **kw)}) / 3600) AS INTEGER)"


def count_note(note: Note, tag_ids: Iterable[int], delta: int) -> None:
    """Add `delta` (1 or -1) notes for `note` under each of its canonical `tag_ids`."""
    tag_ids = list(tag_ids)
    key = {"hour": hour_of(note.sort_at), "author_id": note.author_id}
    key["incident_id"] = note.incident_id or 0
    add_to_counters(TagHour, KEY, "notes", [{**key, "tag_id": t, "notes": delta} for t in tag_ids])
    if delta < 0 and tag_ids:  # a row counts a person: none is left at zero
        db.session.execute(
            delete(TagHour).where(
                TagHour.tag_id.in_(tag_ids),
                TagHour.hour == key["hour"],
                TagHour.author_id == key["author_id"],
                TagHour.incident_id == key["incident_id"],
                TagHour.notes <= 0,
            )
        )


def count_rows(rows: Iterable[tuple[int, datetime, int, int | None]]) -> None:
    """Count many new (tag id, sort_at, author id, incident id) links at once (bulk writes)."""
    counted = Counter((t, hour_of(at), a, i or 0) for t, at, a, i in rows)
    insert_rows(
        TagHour,
        [dict(zip(KEY, k, strict=True), notes=n) for k, n in counted.items()],
        add_to=(KEY, "notes"),
    )


def recount(tag_ids: list[int] | None = None) -> int:
    """Count these tags' rows (every tag's when None) afresh from the notes; the rows written."""
    statement = delete(TagHour)
    if tag_ids is not None:
        statement = statement.where(TagHour.tag_id.in_(tag_ids))
    db.session.execute(statement)
    hour = epoch_hour(Note.sort_at)
    incident = func.coalesce(Note.incident_id, 0)
    grouped = (
        select(NoteTag.tag_id, hour, Note.author_id, incident, func.count())
        .join(Note, Note.id == NoteTag.note_id)
        .where(Note.retracted_at.is_(None))
        .group_by(NoteTag.tag_id, hour, Note.author_id, incident)
    )
    if tag_ids is not None:
        grouped = grouped.where(NoteTag.tag_id.in_(tag_ids))
    result = db.session.execute(insert(TagHour).from_select([*KEY, "notes"], grouped))
    return result.rowcount
