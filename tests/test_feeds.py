"""Feeds: what each timeline shows, in which order, page by page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app import feeds, follows, notes, tags
from app.errors import Refused
from app.feeds import Cursor, Feed

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ids(page) -> list[int]:
    return [n.id for n in page.notes]


def test_home_feed_has_own_followed_people_followed_tags_and_mentions(make_user, post):
    sam, lee, kim, noor = (make_user(u) for u in ("sam", "lee", "kim", "noor"))
    own = post(sam, "mine", posted_at=at(1))
    from_lee = post(lee, "from lee", posted_at=at(2))
    tagged = post(kim, "about #dns", posted_at=at(3))
    mention = post(noor, "hey @sam", posted_at=at(4))
    post(noor, "unrelated", posted_at=at(5))
    post(kim, "unrelated too #ntp", posted_at=at(6))
    follows.follow(sam, "user", lee.id)
    follows.follow(sam, "tag", tags.get_tag("dns").id)
    assert ids(feeds.page(Feed("home"), sam)) == [mention.id, tagged.id, from_lee.id, own.id]


def test_a_note_reached_through_two_sources_appears_once(make_user, post):
    sam, lee = make_user("sam"), make_user("lee")
    note = post(lee, "#dns #ntp @sam")
    follows.follow(sam, "user", lee.id)
    follows.follow(sam, "tag", tags.get_tag("dns").id)
    follows.follow(sam, "tag", tags.get_tag("ntp").id)
    assert ids(feeds.page(Feed("home"), sam)) == [note.id]


def test_keyset_pages_cover_every_note_once_in_order(make_user, post):
    sam = make_user()
    posted = [post(sam, f"note {i}", posted_at=at(i // 2)) for i in range(25)]  # ties on time
    seen, before = [], None
    while True:
        page = feeds.page(Feed("all"), sam, before=before, limit=7)
        seen += ids(page)
        if page.older is None:
            break
        before = page.older
    assert seen == [n.id for n in sorted(posted, key=lambda n: (n.sort_at, n.id), reverse=True)]


def test_occurred_at_places_a_late_note_in_its_time(make_user, post):
    sam = make_user()
    first = post(sam, "alarm", posted_at=at(10))
    late = post(sam, "it actually started at 9:05", posted_at=at(30), occurred_at=at(5))
    last = post(sam, "fixed", posted_at=at(20))
    assert ids(feeds.page(Feed("all"), sam)) == [last.id, first.id, late.id]


def test_retracted_notes_leave_every_feed(make_user, post):
    sam = make_user()
    keep, gone = post(sam, "keep #x"), post(sam, "gone #x @sam")
    notes.retract_note(sam, gone)
    tag = tags.get_tag("x")
    for feed in (Feed("all"), Feed("home"), Feed("user", sam.id), Feed("tag", tag.id)):
        assert ids(feeds.page(feed, sam)) == [keep.id]


def test_newer_counts_and_returns_what_arrived_above_the_top(make_user, post):
    sam, lee = make_user("sam"), make_user("lee")
    old = post(lee, "old", posted_at=at(1))
    top = Cursor.of(old)
    assert feeds.count_newer(Feed("all"), sam, top) == 0
    a, b = post(lee, "a", posted_at=at(2)), post(lee, "b", posted_at=at(3))
    assert feeds.count_newer(Feed("all"), sam, top) == 2
    newer = feeds.newer(Feed("all"), sam, top)
    assert ids(newer) == [b.id, a.id] and newer.newest == Cursor.of(b)


@pytest.mark.parametrize("bad", ["x", "1_", "_1", "99999999999999999999999_1", "1_2_3"])
def test_a_broken_cursor_is_refused_with_a_message(bad):
    with pytest.raises(Refused, match="page link is broken"):
        Cursor.parse(bad)


def test_cursor_round_trips():
    cursor = Cursor(at(7).replace(microsecond=123456), 42)
    assert Cursor.parse(str(cursor)) == cursor


def test_unfollowing_removes_their_notes_from_home_but_keeps_own_and_mentions(make_user, post):
    sam, lee = make_user("sam"), make_user("lee")
    own = post(sam, "mine", posted_at=at(1))
    mention = post(lee, "ping @sam", posted_at=at(2))
    post(lee, "just lee", posted_at=at(3))
    follows.follow(sam, "user", lee.id)
    assert len(feeds.page(Feed("home"), sam).notes) == 3
    follows.unfollow(sam, "user", lee.id)
    assert ids(feeds.page(Feed("home"), sam)) == [mention.id, own.id]


def test_rebuilt_timeline_equals_the_one_filled_on_write(make_user, post):
    from app import timelines

    sam, lee, kim = make_user("sam"), make_user("lee"), make_user("kim")
    follows.follow(sam, "user", lee.id)
    post(kim, "#dns first", posted_at=at(1))
    follows.follow(sam, "tag", tags.get_tag("dns").id)
    for i in range(5):
        post(
            lee if i % 2 else kim,
            f"note {i} #dns @sam" if i == 3 else f"note {i}",
            posted_at=at(10 + i),
        )
    before = ids(feeds.page(Feed("home"), sam))
    timelines.rebuild(sam)
    assert ids(feeds.page(Feed("home"), sam)) == before and len(before) == 3


def test_edit_that_adds_a_followed_tag_delivers_the_note(make_user, post):
    sam, lee = make_user("sam"), make_user("lee")
    post(lee, "#dns exists")
    follows.follow(sam, "tag", tags.get_tag("dns").id)
    note = post(lee, "resolver down")
    assert note.id not in ids(feeds.page(Feed("home"), sam))
    notes.edit_note(lee, note, "resolver down #DNS")
    assert note.id in ids(feeds.page(Feed("home"), sam))


def test_home_feed_is_trimmed_to_its_newest_entries(make_user, post):
    from app import timelines

    sam = make_user("sam")
    posted = [post(sam, f"n{i}", posted_at=at(i)) for i in range(12)]
    timelines.trim(sam.id, keep=5)
    assert ids(feeds.page(Feed("home"), sam)) == [n.id for n in reversed(posted[-5:])]
    assert len(feeds.page(Feed("user", sam.id), sam).notes) == 12  # the notes themselves stay


def test_following_an_incident_brings_its_notes_home(make_user, post):
    from app import incidents

    sam, lee = make_user("sam"), make_user("lee")
    incident = incidents.register(lee, title="Lab results delayed")
    note = post(lee, "HL7 queue backed up", incident=incident)
    assert note.id not in ids(feeds.page(Feed("home"), sam))
    follows.follow(sam, "incident", incident.id)
    assert note.id in ids(feeds.page(Feed("home"), sam))


def test_the_follows_read_with_the_user_serve_its_request_until_it_follows_more(make_user, post):
    from app import follows, tags
    from app.extensions import db

    sam = make_user("sam")
    post(sam, "first #vpn and #dns")
    vpn, dns = tags.find_tag("vpn").id, tags.find_tag("dns").id
    follows.set_following(sam, "tag", dns, True)
    follows.set_following(sam, "tag", vpn, True)
    sam_id = sam.id
    db.session.expunge_all()
    loaded = follows.user_with_follows(sam_id)
    assert follows.followed(loaded)["tag"] == sorted([vpn, dns])
    follows.set_following(loaded, "tag", vpn, False)  # drops what was read with the user
    assert follows.followed(loaded)["tag"] == [dns]
    assert follows.user_with_follows(10**6) is None
