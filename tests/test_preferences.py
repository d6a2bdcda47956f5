"""What a person chose on their settings page, read in one place with its defaults."""

from __future__ import annotations

import pytest

from app import accounts
from app.errors import Refused
from app.extensions import db


def test_an_account_without_choices_reads_the_defaults(make_user):
    chosen = accounts.preferences(make_user("sam"))
    assert chosen == accounts.Preferences("newest", "UTC", "auto", frozenset())
    assert accounts.preferences(None) == accounts.Preferences()


def test_stored_values_no_longer_offered_fall_back_to_the_defaults(make_user):
    sam = make_user("sam")
    sam.preferences = {
        "timeline_order": "sideways",
        "theme": 3,
        "time_zone": "Mars/Olympus",
        "muted": "mention",  # not a list
        "something": "else",
    }
    db.session.commit()
    assert accounts.preferences(sam) == accounts.Preferences()


def test_choices_are_kept_one_at_a_time(make_user):
    sam = make_user("sam")
    accounts.set_preferences(sam, timeline_order="oldest")
    accounts.set_preferences(sam, time_zone="Europe/Amsterdam", muted=["trending"])
    db.session.expire_all()
    sam = accounts.get_user("sam")
    assert accounts.preferences(sam) == accounts.Preferences(
        "oldest", "Europe/Amsterdam", "auto", frozenset({"trending"})
    )
    assert accounts.is_muted(sam, "trending") and not accounts.is_muted(sam, "mention")


@pytest.mark.parametrize(
    "change",
    [{"timeline_order": "up"}, {"theme": "neon"}, {"time_zone": "../../etc/passwd"}],
)
def test_a_choice_not_offered_is_refused(make_user, change):
    sam = make_user("sam")
    with pytest.raises(Refused):
        accounts.set_preferences(sam, **change)
    assert accounts.preferences(sam) == accounts.Preferences()
