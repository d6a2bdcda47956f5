"""Home timelines, filled on write with the notes of people and services one follows.

A posted note is delivered to its author, the author's followers, the people it mentions
(like Mastodon's home timelines) and the followers of its incident's service, so reading
a home feed does not merge every followed person on each view. Followed *tags* are not
delivered: a popular tag can have most of the organisation as followers, which would make
posting slow; the home feed reads them (and followed incidents) from their own indexes
instead (see `feeds`). The entries are derived data: `rebuild()`
recreates them. Following someone backfills their latest BACKFILL notes; older ones stay
on their page. Visibility is not decided here: feeds apply it when reading.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, literal, select, tuple_, union

from app.database import insert_ignoring_duplicates
from app.extensions import db
from app.models import Follow, Incident, Mention, Note, Service, TimelineEntry, User

BACKFILL = 200
# A home feed keeps about this many entries; older notes stay on people's and tags' pages.
# Trimming is spread out: a person's feed is trimmed on one delivery in TRIM_EVERY.
HOME_LIMIT = 1000
TRIM_EVERY = 64


def deliver(note: Note, *, again: bool = False) -> None:
    """Put `note` in the home feed of its author, their followers, the people it mentions
    and the followers of its incident's service (again after an edit, which can change the
    mentions). One statement finds them and delivers: a round trip less on PostgreSQL."""
    followers = select(Follow.follower_id).where(
        Follow.target_type == "user", Follow.target_id == note.author_id
    )
    mentioned = select(Mention.user_id).where(Mention.note_id == note.id)
    sources = [select(literal(note.author_id)), followers, mentioned]
    if note.incident_id is not None:
        sources.append(service_followers(note.incident_id))
    if again:  # an edit: the people it mentions may have changed
        db.session.execute(delete(TimelineEntry).where(TimelineEntry.note_id == note.id))
    readers = union(*sources).subquery()
    entries = select(
        readers.c[0], literal(note.id), literal(note.sort_at, TimelineEntry.sort_at.type)
    )
    # No ON CONFLICT: the note is new or its entries were just deleted, and SQLAlchemy
    # caches only the standard INSERT's compiled form.
    statement = (
        insert(TimelineEntry.__table__)
        .from_select(["user_id", "note_id", "sort_at"], entries)
        .returning(TimelineEntry.user_id)
    )
    for user_id in list(db.session.scalars(statement)):
        if (user_id + note.id) % TRIM_EVERY == 0:
            trim(user_id)


def service_followers(incident_id: int):
    """Who follows the service of incident `incident_id` (a query)."""
    return (
        select(Follow.follower_id)
        .join(Service, Service.id == Follow.target_id)
        .join(Incident, Incident.service == Service.name)
        .where(Follow.target_type == "service", Incident.id == incident_id)
    )


def trim(user_id: int, keep: int = HOME_LIMIT) -> None:
    """Drop a home feed's entries beyond the newest `keep`."""
    boundary = db.session.execute(
        select(TimelineEntry.sort_at, TimelineEntry.note_id)
        .where(TimelineEntry.user_id == user_id)
        .order_by(TimelineEntry.sort_at.desc(), TimelineEntry.note_id.desc())
        .offset(keep)
        .limit(1)
    ).first()
    if boundary is not None:
        db.session.execute(
            delete(TimelineEntry).where(
                TimelineEntry.user_id == user_id,
                tuple_(TimelineEntry.sort_at, TimelineEntry.note_id) <= tuple_(*boundary),
            )
        )


def _latest(query, sort_col, id_col) -> list[tuple[int, object]]:
    rows = db.session.execute(query.order_by(sort_col.desc(), id_col.desc()).limit(BACKFILL))
    return [(row[0], row[1]) for row in rows]


def _source_notes(target_type: str, target_id: int) -> list[tuple[int, object]]:
    if target_type == "user":
        query = select(Note.id, Note.sort_at).where(Note.author_id == target_id)
        return _latest(query, Note.sort_at, Note.id)
    if target_type == "mentions":
        query = select(Mention.note_id, Mention.sort_at).where(Mention.user_id == target_id)
        return _latest(query, Mention.sort_at, Mention.note_id)
    if target_type == "service":
        query = (
            select(Note.id, Note.sort_at)
            .join(Incident, Incident.id == Note.incident_id)
            .join(Service, Service.name == Incident.service)
            .where(Service.id == target_id)
        )
        return _latest(query, Note.sort_at, Note.id)
    return []  # tags and incidents are read from their own indexes (see `feeds`)


def backfill(user: User, target_type: str, target_id: int) -> None:
    """Copy the latest notes of a newly followed source into `user`'s home feed."""
    rows = [
        {"user_id": user.id, "note_id": note_id, "sort_at": sort_at}
        for note_id, sort_at in _source_notes(target_type, target_id)
    ]
    insert_ignoring_duplicates(TimelineEntry, rows)


def rebuild(user: User) -> None:
    """Recreate `user`'s home feed from what they follow, write and are mentioned in."""
    db.session.execute(delete(TimelineEntry).where(TimelineEntry.user_id == user.id))
    sources = [("user", user.id), ("mentions", user.id)]
    sources += db.session.execute(
        select(Follow.target_type, Follow.target_id).where(Follow.follower_id == user.id)
    ).all()
    for target_type, target_id in sources:
        backfill(user, target_type, target_id)
