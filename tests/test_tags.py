"""Hashtags: creation on first use, spelling variants, aliases and autocomplete."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import feeds, follows, tags
from app.errors import Forbidden, Refused
from app.extensions import db
from app.feeds import Feed
from app.models import Hashtag


def test_first_use_and_spellings_are_recorded(make_user, post):
    sam, lee = make_user("sam"), make_user("lee")
    first = post(sam, "resets piling up #PwReset")
    post(lee, "again #pwreset")
    post(lee, "and again #PWRESET #pwreset")
    tag = tags.get_tag("pwreset")
    assert (
        tag.display == "PwReset" and tag.first_note_id == first.id and tag.first_user_id == sam.id
    )
    profile = tags.tag_profile(tag)
    assert {s.spelling: s.use_count for s in profile.spellings} == {
        "PwReset": 1,
        "pwreset": 1,
        "PWRESET": 1,
    }  # one spelling a note
    assert profile.note_count == 3 and profile.people_count == 2
    assert not profile.following and not tags.tag_profile(tag, lee).following
    follows.follow(lee, "tag", tag.id)
    assert tags.tag_profile(tag, lee).following and not tags.tag_profile(tag, sam).following


def test_alias_moves_counts_feeds_follows_and_autocomplete_to_the_canonical_tag(make_user, post):
    ada, sam = make_user("ada", role="admin"), make_user("sam")
    old = post(sam, "user locked out #pwreset")
    post(sam, "portal flow #password_reset")
    follows.follow(sam, "tag", tags.get_tag("pwreset").id)
    alias = tags.make_alias(ada, "pwreset", "password_reset")
    target = tags.get_tag("password_reset")
    assert alias.canonical_id == target.id and alias.aliased_by_id == ada.id
    page = feeds.page(Feed("tag", target.id), sam)
    assert old.id in [n.id for n in page.notes] and len(page.notes) == 2
    assert follows.is_following(sam, "tag", target.id)
    new = post(sam, "more #pwreset")
    assert new.id in [n.id for n in feeds.page(Feed("tag", target.id), sam).notes]
    assert [t.key for t in tags.suggest_tags("pw")] == ["password_reset"]
    profile = tags.tag_profile(target)
    assert [a.key for a in profile.aliases] == ["pwreset"] and profile.note_count == 3


def test_alias_chains_stay_one_hop_deep(make_user, post):
    ada, sam = make_user("ada", role="admin"), make_user("sam")
    post(sam, "#pw #pwreset #password_reset")
    tags.make_alias(ada, "pw", "pwreset")
    tags.make_alias(ada, "pwreset", "password_reset")
    canon = tags.get_tag("password_reset")
    for key in ("pw", "pwreset"):
        assert db.session.scalar(select(Hashtag).where(Hashtag.key == key)).canonical_id == canon.id


def test_alias_to_itself_or_back_to_its_alias_is_refused(make_user, post):
    ada, sam = make_user("ada", role="admin"), make_user("sam")
    post(sam, "#a_tag #b_tag")
    with pytest.raises(Refused):
        tags.make_alias(ada, "a_tag", "A_TAG")
    tags.make_alias(ada, "a_tag", "b_tag")
    with pytest.raises(Refused):
        tags.make_alias(ada, "b_tag", "a_tag")


def test_only_admins_make_aliases(make_user, post):
    sam = make_user("sam")
    post(sam, "#pwreset")
    with pytest.raises(Forbidden):
        tags.make_alias(sam, "pwreset", "password_reset")
    assert tags.get_tag("pwreset").canonical_id is None


@pytest.mark.parametrize("bad", ["", "2024", "db-slow", "two words", "<script>"])
def test_malformed_alias_target_is_refused(make_user, post, bad):
    ada = make_user("ada", role="admin")
    post(ada, "#pwreset")
    with pytest.raises(Refused, match="not a valid hashtag"):
        tags.make_alias(ada, "pwreset", bad)


def test_autocomplete_ranks_recently_used_tags_first(make_user, post):
    sam = make_user()
    post(sam, "#vpn_old")
    for _ in range(3):
        post(sam, "#vpn_down")
    post(sam, "#vpn_slow #vpn_slow")
    assert [t.key for t in tags.suggest_tags("#VPN")] == ["vpn_down", "vpn_old", "vpn_slow"]


def test_autocomplete_treats_like_wildcards_literally(make_user, post):
    post(make_user(), "#a_b #axb")
    assert [t.key for t in tags.suggest_tags("a_")] == ["a_b"]


def test_counts_follow_retractions_edits_and_aliases(make_user, post):
    from app import notes

    ada, sam, lee = make_user("ada", role="admin"), make_user("sam"), make_user("lee")
    a = post(sam, "#pwreset one")
    post(lee, "#pwreset two")
    both = post(sam, "#pwreset and #password_reset in one note")
    post(lee, "#password_reset three")
    assert tags.tag_profile(tags.get_tag("pwreset")).note_count == 3
    notes.retract_note(sam, a)
    profile = tags.tag_profile(tags.get_tag("pwreset"))
    assert (profile.note_count, profile.people_count) == (2, 2)
    tags.make_alias(ada, "pwreset", "password_reset")
    profile = tags.tag_profile(tags.get_tag("password_reset"))
    assert (profile.note_count, profile.people_count) == (3, 2)  # `both` counted once
    page = feeds.page(Feed("tag", profile.tag.id), sam)
    assert [n.id for n in page.notes].count(both.id) == 1 and len(page.notes) == 3
    notes.edit_note(sam, both, "no tags any more")
    assert tags.tag_profile(tags.get_tag("password_reset")).note_count == 2


def test_followers_of_the_target_see_the_aliases_notes_at_home(make_user, post):
    ada, sam, lee = make_user("ada", role="admin"), make_user("sam"), make_user("lee")
    old = post(lee, "#pwreset from before")
    post(lee, "#password_reset")
    follows.follow(sam, "tag", tags.get_tag("password_reset").id)
    assert old.id not in [n.id for n in feeds.page(Feed("home"), sam).notes]
    tags.make_alias(ada, "pwreset", "password_reset")
    assert old.id in [n.id for n in feeds.page(Feed("home"), sam).notes]
