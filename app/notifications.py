"""Notifications for mentions and replies: created with the note, read from the inbox."""

from __future__ import annotations

from sqlalchemy import func, select, update

from app.database import increment, write_transaction
from app.extensions import db
from app.models import Note, Notification, User, utcnow
from app.visibility import visible_notes_clause


def notify(user: User, kind: str, note: Note, actor: User) -> None:
    """Queue one notification (never for one's own note, never twice for the same note)."""
    if user.id == actor.id:
        return
    exists = db.session.scalar(
        select(Notification.id).where(
            Notification.user_id == user.id,
            Notification.kind == kind,
            Notification.note_id == note.id,
        )
    )
    if exists is None:
        db.session.add(
            Notification(
                user_id=user.id,
                kind=kind,
                note_id=note.id,
                actor_id=actor.id,
                created_at=note.posted_at,  # an imported note notifies as of when it was written
            )
        )
        increment(User, user.id, "unread_count")


def _visible(user: User):
    return (
        select(Notification)
        .join(Note, Note.id == Notification.note_id)
        .where(Notification.user_id == user.id, visible_notes_clause(user))
    )


def unread_count(user: User) -> int:
    return user.unread_count or 0


def recount(user_ids: list[int]) -> None:
    """Count unread notifications afresh (after a note leaves some people's sight)."""
    for user_id in user_ids:
        query = _visible(db.session.get(User, user_id)).where(Notification.read_at.is_(None))
        count = db.session.scalar(select(func.count()).select_from(query.subquery()))
        db.session.execute(update(User).where(User.id == user_id).values(unread_count=count))


def notified_about(note: Note) -> list[int]:
    """Who has an unread notification about `note`."""
    query = select(Notification.user_id).where(
        Notification.note_id == note.id, Notification.read_at.is_(None)
    )
    return sorted(set(db.session.scalars(query)))


def inbox(user: User, limit: int = 50) -> list[Notification]:
    query = _visible(user).order_by(Notification.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def mark_read(user: User, notification_id: int | None = None) -> None:
    """Mark one notification, or all of them, as read."""
    with write_transaction():
        query = update(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
        if notification_id is not None:
            query = query.where(Notification.id == notification_id)
        db.session.execute(query.values(read_at=utcnow()))
        recount([user.id])
