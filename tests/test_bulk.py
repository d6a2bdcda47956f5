"""Bulk note writing (imports) leaves the same rows behind as posting one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import bulk, follows, incidents, tags
from app.bulk import NoteDraft
from app.database import write_transaction
from app.extensions import db
from app.models import (
    Hashtag,
    IncidentRef,
    Mention,
    NoteTag,
    NoteVersion,
    Notification,
    TagAuthor,
    TimelineEntry,
    User,
)

T0 = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
TEXTS = [
    "resets piling up #PwReset #pwreset @kim",
    "portal loop again #password_reset see {number}",
    "#VPN drops, #vpn again, ping @kim and @ghost",
    "plain note without anything",
    "#Ünïcödé tag and #db-slow",
]


def derived(note_id: int, author_id: int) -> dict:
    def names(query):
        return sorted(db.session.scalars(query))

    return {
        "tags": sorted(
            db.session.execute(
                select(Hashtag.key, NoteTag.hashtag_id)
                .join(Hashtag, Hashtag.id == NoteTag.tag_id)
                .where(NoteTag.note_id == note_id)
            ).all()
        ),
        "mentions": names(
            select(User.username)
            .join(Mention, Mention.user_id == User.id)
            .where(Mention.note_id == note_id)
        ),
        "refs": names(select(IncidentRef.number).where(IncidentRef.note_id == note_id)),
        "versions": names(select(NoteVersion.text).where(NoteVersion.note_id == note_id)),
        "timeline": sorted(
            "author" if u == author_id else str(u)
            for u in db.session.scalars(
                select(TimelineEntry.user_id).where(TimelineEntry.note_id == note_id)
            )
        ),
        "told": names(select(Notification.user_id).where(Notification.note_id == note_id)),
    }


def test_bulk_posting_matches_posting_one_by_one(make_user, post):
    one, two, kim, fan = (make_user(n) for n in ("one", "two", "kim", "fan"))
    incident = incidents.register(one, title="Resets")
    follows.follow(fan, "user", one.id)
    follows.follow(fan, "user", two.id)
    texts = [t.format(number=incident.number) for t in TEXTS]
    singles = [post(one, text, posted_at=T0 + timedelta(minutes=i)) for i, text in enumerate(texts)]
    with write_transaction():
        ids = bulk.post_notes(
            [NoteDraft(two.id, text, T0 + timedelta(minutes=i)) for i, text in enumerate(texts)]
        )
    for single, bulk_id in zip(singles, ids, strict=True):
        assert derived(bulk_id, two.id) == derived(single.id, one.id)
    for key in ("pwreset", "vpn", "password_reset", "ünïcödé", "db"):
        tag = tags.get_tag(key)
        per_author = dict(
            db.session.execute(
                select(TagAuthor.user_id, TagAuthor.note_count).where(TagAuthor.tag_id == tag.id)
            ).all()
        )
        assert per_author[one.id] == per_author[two.id] and tag.note_count == 2 * per_author[one.id]
    db.session.refresh(kim)
    assert kim.unread_count == 4
