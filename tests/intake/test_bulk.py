"""Bulk note writing (imports) leaves the same rows behind as posting one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app import follows, incidents, tags
from app.database import write_transaction
from app.extensions import db
from app.intake import bulk
from app.intake.bulk import NoteDraft
from app.models import (
    Hashtag,
    IncidentRef,
    Mention,
    Note,
    NoteTag,
    NoteVersion,
    Notification,
    SearchOutbox,
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
        "queued for search": db.session.scalar(
            select(func.count()).where(SearchOutbox.note_id == note_id)
        ),
    }


def test_bulk_posting_matches_posting_one_by_one(make_user, post):
    one, two, kim, fan, watcher = (make_user(n) for n in ("one", "two", "kim", "fan", "watcher"))
    incident = incidents.register(one, title="Resets")
    on_auth = incidents.register(one, title="Logins fail", service="Auth")
    follows.follow(fan, "user", one.id)
    follows.follow(fan, "user", two.id)
    follows.follow(watcher, "service", incidents.service_named("Auth", create=True).id)
    texts = [t.format(number=incident.number) for t in TEXTS]
    where = [on_auth if i % 2 else None for i in range(len(texts))]
    singles = [
        post(one, text, posted_at=T0 + timedelta(minutes=i), incident=where[i])
        for i, text in enumerate(texts)
    ]
    drafts = [
        NoteDraft(two.id, text, T0 + timedelta(minutes=i), incident_id=where[i] and on_auth.id)
        for i, text in enumerate(texts)
    ]
    with write_transaction():
        ids = bulk.post_notes(drafts)
    for single, bulk_id in zip(singles, ids, strict=True):
        assert derived(bulk_id, two.id) == derived(single.id, one.id)
    assert str(watcher.id) in derived(ids[1], two.id)["timeline"]
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


def test_bulk_replies_match_posted_replies(make_user, post):
    one, two, kim = (make_user(n) for n in ("one", "two", "kim"))
    incident = incidents.register(kim, title="Printers")
    root = post(kim, "printers offline", incident=incident)
    single = post(one, "@kim same on ward 2", reply_to=root, posted_at=T0)
    with write_transaction():
        (bulk_id,) = bulk.post_notes(
            [NoteDraft(two.id, "@kim same on ward 2", T0, reply_to_id=root.id)]
        )
    db.session.expire_all()
    posted, imported = db.session.get(Note, single.id), db.session.get(Note, bulk_id)
    assert (imported.thread_id, imported.incident_id) == (posted.thread_id, posted.incident_id)
    assert derived(bulk_id, two.id) == derived(single.id, one.id)
    assert db.session.get(Note, root.id).reply_count == 2
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.note_id.in_([single.id, bulk_id]))
    )
    assert sorted(kinds) == ["mention", "mention", "reply", "reply"]


def test_bulk_notes_on_a_restricted_incident_leave_no_trace_in_tag_facts(make_user, post):
    kim, lee = make_user("kim"), make_user("lee")
    secret = incidents.register(kim, title="Phishing", restricted=True)
    root = post(kim, "mail advice #phish", posted_at=T0)
    drafts = [
        NoteDraft(kim.id, "#PHISH_KIT in the payroll mails", T0, incident_id=secret.id),
        NoteDraft(kim.id, f"see {secret.number} #phish", T0, reply_to_id=root.id),
        NoteDraft(lee.id, "#phish_kit is a thing now", T0 + timedelta(hours=1)),
    ]
    with write_transaction():
        secret_id, reply_id, public_id = bulk.post_notes(drafts)
    db.session.expire_all()
    kit, phish = tags.get_tag("phish_kit"), tags.get_tag("phish")
    assert (kit.display, kit.first_note_id, kit.first_user_id) == ("phish_kit", public_id, lee.id)
    assert (kit.use_count, kit.note_count, phish.use_count, phish.note_count) == (1, 1, 1, 1)
    assert [s.spelling for s in tags.tag_profile(kit).spellings] == ["phish_kit"]
    assert db.session.get(Note, reply_id).incident_id == secret.id
    assert db.session.get(Note, root.id).reply_count == 0  # the reply is not public
