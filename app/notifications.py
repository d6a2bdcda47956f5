"""Notifications: mentions and replies (created with the note), and SLA warnings about
followed incidents and followed tags that started trending (created by background
duties), read from the inbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, update

from app.database import increment, write_transaction
from app.extensions import db
from app.models import Follow, Hashtag, Incident, Note, Notification, User, utcnow
from app.visibility import visible_incidents_clause, visible_notes_clause


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


def notify_about_incident(user_id: int, kind: str, incident: Incident) -> bool:
    """Queue one notification about an incident (once per person, kind and incident)."""
    exists_already = db.session.scalar(
        select(Notification.id).where(
            Notification.user_id == user_id,
            Notification.kind == kind,
            Notification.incident_id == incident.id,
        )
    )
    if exists_already is not None:
        return False
    db.session.add(Notification(user_id=user_id, kind=kind, incident_id=incident.id))
    increment(User, user_id, "unread_count")
    return True


TRENDING_AGAIN_AFTER = timedelta(hours=24)  # a tag trending on and on notifies once a day


def notify_trending(trends: list[dict], now: datetime | None = None) -> int:
    """Tell who follows each trending tag (`trends`: tag keys with their why) that it
    started trending, unless they were told in the last day; returns how many were told."""
    now = now or utcnow()
    sent = 0
    with write_transaction():
        for trend in trends:
            tag = db.session.scalar(select(Hashtag).where(Hashtag.key == trend["tag"]))
            if tag is None:
                continue
            told = select(Notification.user_id).where(
                Notification.kind == "trending",
                Notification.tag_id == tag.id,
                Notification.created_at >= now - TRENDING_AGAIN_AFTER,
            )
            followers = select(Follow.follower_id).where(
                Follow.target_type == "tag",
                Follow.target_id == tag.id,
                Follow.follower_id.not_in(told),
            )
            for user_id in db.session.scalars(followers):
                db.session.add(
                    Notification(
                        user_id=user_id,
                        kind="trending",
                        tag_id=tag.id,
                        detail=trend["why"][:300],
                        created_at=now,
                    )
                )
                increment(User, user_id, "unread_count")
                sent += 1
    return sent


def _visible(user: User):
    """`user`'s notifications about things they may still see."""
    incident_visible = exists().where(
        Incident.id == Notification.incident_id, visible_incidents_clause(user)
    )
    return (
        select(Notification)
        .outerjoin(Note, Note.id == Notification.note_id)
        .where(
            Notification.user_id == user.id,
            or_(Notification.note_id.is_(None), visible_notes_clause(user)),
            or_(Notification.incident_id.is_(None), incident_visible),
        )
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
