"""Posting, replying, editing and retracting notes (domain level, SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import notes
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.models import IncidentRef, Mention, Note, NoteTag, NoteVersion, Notification


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_post_note_stores_text_and_derives_tags_mentions_and_references(make_user, post):
    sam, lee = make_user("sam"), make_user("lee")
    note = post(sam, "VPN down again #VPN #vpn @lee @nobody see INC0000045")
    assert note.text == "VPN down again #VPN #vpn @lee @nobody see INC0000045"
    assert [t.hashtag_id for t in db.session.scalars(select(NoteTag))]  # one tag: same key twice
    assert count(NoteTag) == 1
    assert [m.user_id for m in db.session.scalars(select(Mention))] == [lee.id]
    assert db.session.scalar(select(IncidentRef.number)) == "INC0000045"
    assert note.sort_at == note.posted_at


@pytest.mark.parametrize("text", ["", "   ", "\n\t \r\n"])
def test_empty_or_whitespace_note_is_refused_and_nothing_is_stored(make_user, post, text):
    sam = make_user()
    with pytest.raises(Refused, match="needs some text"):
        post(sam, text)
    assert count(Note) == 0


def test_note_of_500_characters_is_accepted_and_501_refused(make_user, post):
    sam = make_user()
    post(sam, "é" * 500)
    with pytest.raises(Refused, match="at most 500 characters; this one has 501"):
        post(sam, "x" * 501)
    assert count(Note) == 1


def test_crlf_line_endings_count_as_one_character(make_user, post):
    note = post(make_user(), "a\r\n" * 249 + "ab")  # 749 characters as sent, 500 as stored
    assert note.text.count("\n") == 249 and len(note.text) == 500


def test_ten_thousand_emoji_are_refused_with_a_clear_message(make_user, post):
    with pytest.raises(Refused, match="this one has 10000"):
        post(make_user(), "🔥" * 10_000)


def test_hostile_text_is_stored_exactly_as_written(make_user, post):
    hostile = "<img src=x onerror=alert(1)> '; DROP TABLE notes; -- \u202eevil\u200b"
    note = post(make_user(), hostile)
    db.session.expire_all()
    assert db.session.get(Note, note.id).text == hostile


def test_occurred_at_orders_the_timeline_and_cannot_be_in_the_future(make_user, post):
    sam = make_user()
    earlier = datetime.now(UTC) - timedelta(hours=3)
    note = post(sam, "router rebooted at 14:05", occurred_at=earlier)
    assert note.sort_at == earlier and note.posted_at > earlier
    with pytest.raises(Refused, match="future"):
        post(sam, "from the future", occurred_at=datetime.now(UTC) + timedelta(hours=1))


def test_reply_joins_the_thread_and_notifies_the_author(make_user, post):
    sam, lee = make_user("sam"), make_user("lee")
    root = post(sam, "disk full on db-3")
    reply = post(lee, "cleaned /var/log", reply_to=root)
    second = post(sam, "thanks", reply_to=reply)
    assert reply.thread_id == root.id and second.thread_id == root.id
    db.session.refresh(root)
    assert root.reply_count == 1
    assert [n.id for n in notes.replies(root, sam)] == [root.id, reply.id, second.id]
    kinds = db.session.execute(select(Notification.user_id, Notification.kind)).all()
    assert sorted(kinds) == sorted([(sam.id, "reply"), (lee.id, "reply")])


def test_reply_to_retracted_note_is_refused(make_user, post):
    sam = make_user()
    root = post(sam, "wrong incident, sorry")
    notes.retract_note(sam, root)
    with pytest.raises(Refused, match="retracted"):
        post(sam, "reply", reply_to=root)
    assert count(Note) == 1


def test_edit_keeps_every_earlier_version_and_rederives_tags(make_user, post):
    sam = make_user()
    note = post(sam, "login slow #sso")
    notes.edit_note(sam, note, "login slow #SSO #okta")
    notes.edit_note(sam, note, "login slow #okta")
    versions = db.session.scalars(select(NoteVersion.text).order_by(NoteVersion.version)).all()
    assert versions == ["login slow #sso", "login slow #SSO #okta", "login slow #okta"]
    keys = db.session.scalars(select(NoteTag.hashtag_id)).all()
    assert len(keys) == 1 and note.edited_at is not None


def test_editing_someone_elses_note_is_refused_and_changes_nothing(make_user, post):
    sam, lee = make_user("sam"), make_user("lee")
    note = post(sam, "original")
    with pytest.raises(Forbidden):
        notes.edit_note(lee, note, "defaced")
    db.session.expire_all()
    assert db.session.get(Note, note.id).text == "original"
    assert count(NoteVersion) == 0


def test_edit_that_adds_a_mention_notifies_only_the_new_person(make_user, post):
    sam, lee, kim = make_user("sam"), make_user("lee"), make_user("kim")
    note = post(sam, "ping @lee")
    notes.edit_note(sam, note, "ping @lee and @kim")
    rows = db.session.execute(select(Notification.user_id, Notification.kind)).all()
    assert sorted(rows) == sorted([(lee.id, "mention"), (kim.id, "mention")])


def test_retract_hides_but_keeps_the_note_for_audit(make_user, post):
    sam, ada, lee = make_user("sam"), make_user("ada", role="admin"), make_user("lee")
    mine, other = post(sam, "oops"), post(lee, "spam")
    with pytest.raises(Forbidden):
        notes.retract_note(sam, other)
    notes.retract_note(sam, mine)
    notes.retract_note(ada, other)  # admins moderate
    assert count(Note) == 2
    assert all(n.retracted_at is not None for n in db.session.scalars(select(Note)))
    with pytest.raises(Refused, match="retracted note cannot be edited"):
        notes.edit_note(sam, mine, "again")


def test_get_note_of_unknown_id_is_not_found(make_user):
    with pytest.raises(NotFound):
        notes.get_note(424242, make_user())


def test_unread_badge_counts_follow_notes_and_reads(make_user, post):
    from app import notifications

    sam, lee = make_user("sam"), make_user("lee")
    post(lee, "hi @sam")
    gone = post(lee, "again @sam")
    db.session.refresh(sam)
    assert notifications.unread_count(sam) == 2
    notes.retract_note(lee, gone)
    db.session.refresh(sam)
    assert notifications.unread_count(sam) == 1
    notifications.mark_read(sam)
    db.session.refresh(sam)
    assert notifications.unread_count(sam) == 0
