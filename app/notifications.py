"""Notifications: mentions and replies (created with the note), and SLA warnings about
followed incidents and followed tags that started trending (created by background
duties), read from the inbox."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, exists, func, or_, select, tuple_, update
from sqlalchemy.orm import selectinload

from app.accounts import is_muted
from app.database import increment, write_transaction
from app.errors import Refused
from app.extensions import db
from app.models import Follow, Hashtag, Incident, Note, Notification, User, utcnow
from app.visibility import visible_incidents_clause, visible_notes_clause


def wants(user: User | None, kind: str) -> bool:
    """Whether `user` wants notifications of `kind` (they may mute kinds in their settings):
    every way of notifying asks this first."""
    return user is not None and not is_muted(user, kind)


def notify(user: User, kind: str, note: Note, actor: User) -> None:
    """Queue one notification (never for one's own note, never twice for the same note)."""
    if user.id == actor.id or not wants(user, kind):
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
    if not wants(db.session.get(User, user_id), kind):
        return False
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
            for user in db.session.scalars(select(User).where(User.id.in_(followers))):
                if not wants(user, "trending"):
                    continue
                user_id = user.id
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


# The inbox, grouped: one group per kind and incident (a mention's or reply's incident is
# its note's), newest group first. Kinds come from several parts of I2I (the insight wing
# adds its own), so a kind without a label here still reads sensibly.
KIND_LABELS = {
    "mention": "Mentions",
    "reply": "Replies",
    "sla_respond": "SLA: about to miss its respond-by time",
    "sla_resolve": "SLA: about to miss its resolve-by time",
    "trending": "Tags you follow, trending",
    "insight_status": "Insights you follow",
    "interview": "Interview requests",
    "interview_answer": "Interview answers",
}
GROUPS_A_PAGE = 20
SHOWN_A_GROUP = 3
KIND = re.compile(r"[a-z][a-z_]{0,39}")


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize()


@dataclass
class Group:
    kind: str
    incident: Incident | None
    count: int
    unread: int
    latest_at: datetime
    items: list[Notification] = field(default_factory=list)  # the newest SHOWN_A_GROUP

    @property
    def label(self) -> str:
        return kind_label(self.kind)

    @property
    def key(self) -> str:
        """What a form names the group by: kind and incident id (0: none)."""
        return f"{self.kind}:{self.incident.id if self.incident else 0}"


@dataclass
class Inbox:
    groups: list[Group]
    page: int
    pages: int
    kinds: list[tuple[str, int]]  # every kind the person has, with its unread count


def _subject():
    """The incident a notification is about: its own, or its note's."""
    return func.coalesce(Notification.incident_id, Note.incident_id)


def _rows(user: User, kind: str | None):
    """The person's visible notifications as rows: id, kind, subject, unread, created."""
    query = _visible(user).with_only_columns(
        Notification.id,
        Notification.kind,
        _subject().label("subject"),
        case((Notification.read_at.is_(None), 1), else_=0).label("unread"),
        Notification.created_at,
    )
    if kind:
        query = query.where(Notification.kind == kind)
    return query.subquery()


def inbox_groups(
    user: User, *, page: int = 1, kind: str | None = None, per_page: int = GROUPS_A_PAGE
) -> Inbox:
    """One page of `user`'s notifications grouped by kind and incident, newest first,
    each group with its counts and newest few (all of a `kind` when given)."""
    if kind and not KIND.fullmatch(kind):
        raise Refused("That is not a kind of notification.")
    rows = _rows(user, kind)
    grouped = select(
        rows.c.kind,
        rows.c.subject,
        func.count().label("count"),
        func.sum(rows.c.unread).label("unread"),
        func.max(rows.c.created_at).label("latest_at"),
        func.max(rows.c.id).label("latest_id"),
    ).group_by(rows.c.kind, rows.c.subject)
    total = db.session.scalar(select(func.count()).select_from(grouped.subquery())) or 0
    pages = max(1, -(-total // per_page))
    found = db.session.execute(
        grouped.order_by(func.max(rows.c.id).desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    incidents = _incidents({r.subject for r in found if r.subject is not None})
    groups = [
        Group(r.kind, incidents.get(r.subject), r.count, r.unread or 0, r.latest_at) for r in found
    ]
    _fill(user, rows, groups)
    return Inbox(groups, page, pages, _kinds(user))


def _incidents(ids: set[int]) -> dict[int, Incident]:
    if not ids:
        return {}
    return {i.id: i for i in db.session.scalars(select(Incident).where(Incident.id.in_(ids)))}


def _fill(user: User, rows, groups: list[Group]) -> None:
    """The newest SHOWN_A_GROUP notifications of each group, read in one statement."""
    if not groups:
        return
    rank = (
        func.row_number()
        .over(partition_by=(rows.c.kind, rows.c.subject), order_by=rows.c.id.desc())
        .label("rank")
    )
    # One shape of statement whatever the groups (an IN list, not an OR of each), so it
    # is compiled once; a group without an incident has subject 0 here.
    wanted = tuple_(rows.c.kind, func.coalesce(rows.c.subject, 0)).in_(
        [(g.kind, g.incident.id if g.incident else 0) for g in groups]
    )
    ranked = select(rows.c.id, rank).where(wanted).subquery()
    ids = select(ranked.c.id).where(ranked.c.rank <= SHOWN_A_GROUP)
    query = (
        select(Notification)
        .where(Notification.id.in_(ids))
        .options(
            selectinload(Notification.actor),
            selectinload(Notification.note),
            selectinload(Notification.tag),
        )
        .order_by(Notification.id.desc())
    )
    by_key = {g.key: g for g in groups}
    for item in db.session.scalars(query):
        subject = item.incident_id or (item.note.incident_id if item.note else None)
        by_key[f"{item.kind}:{subject or 0}"].items.append(item)


def _kinds(user: User) -> list[tuple[str, int]]:
    rows = _rows(user, None)
    query = select(rows.c.kind, func.sum(rows.c.unread)).group_by(rows.c.kind).order_by(rows.c.kind)
    return [(kind, unread or 0) for kind, unread in db.session.execute(query)]


def mark_group_read(user: User, kind: str, incident_id: int | None) -> int:
    """Mark one group of `user`'s notifications read (a kind, about one incident or none);
    returns how many were unread."""
    if not KIND.fullmatch(kind or ""):
        raise Refused("That is not a kind of notification.")
    rows = _rows(user, kind)
    about = rows.c.subject == incident_id if incident_id else rows.c.subject.is_(None)
    ids = select(rows.c.id).where(about, rows.c.unread == 1)
    with write_transaction():
        done = db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        recount([user.id])
    return done
