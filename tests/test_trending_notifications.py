"""A person who follows a tag is told when it starts trending: once a day at most, never
for a burst inside a restricted incident, and the inbox says why it trends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import analysis, follows, incidents
from app.clock import utcnow
from app.extensions import db
from app.models import Hashtag, Notification

NAMES = ("sam", "lee", "kim", "noor", "ravi")


@pytest.fixture
def burst(make_user, post):
    people = {n: make_user(n) for n in (*NAMES, "dina")}
    now = utcnow()
    vpn = incidents.register(people["sam"], title="Tunnels dropping", service="VPN")
    secret = incidents.register(people["lee"], title="Intrusion", restricted=True)
    for name in NAMES:
        at = now - timedelta(minutes=40)
        post(people[name], "tunnel dropped #vpn_drop", incident=vpn, occurred_at=at)
        incidents.add_member(people["lee"], secret, people[name])
        post(people[name], "odd logins #exfiltration", incident=secret, occurred_at=at)
    return people


def tag_id(key: str) -> int:
    return db.session.scalar(select(Hashtag.id).where(Hashtag.key == key))


def test_followers_of_a_tag_that_starts_trending_are_told_why_once(burst):
    follows.set_following(burst["dina"], "tag", tag_id("vpn_drop"), True)
    follows.set_following(burst["lee"], "tag", tag_id("exfiltration"), True)
    assert analysis.notify_trending_followers() == 1
    (told,) = db.session.scalars(select(Notification)).all()
    assert (told.user_id, told.kind, told.tag.key) == (burst["dina"].id, "trending", "vpn_drop")
    assert told.detail.startswith("5 people in the last 6 h against")
    assert burst["dina"].unread_count == 1
    assert analysis.notify_trending_followers() == 0  # still trending: not told again today


def test_a_burst_inside_a_restricted_incident_tells_no_one(burst):
    follows.set_following(burst["lee"], "tag", tag_id("exfiltration"), True)
    assert analysis.notify_trending_followers() == 0  # trends are judged as for everyone


def test_the_inbox_shows_the_trend_and_its_why(burst, client):
    follows.set_following(burst["dina"], "tag", tag_id("vpn_drop"), True)
    analysis.notify_trending_followers()
    client.login("dina")
    page = client.get("/notifications").get_data(as_text=True)
    assert "#vpn_drop</a> started trending: 5 people in the last 6 h against" in page
    assert 'href="/tags/vpn_drop"' in page
