"""The trends page over HTTP: a burst with its why, nothing of a restricted incident for
outsiders, useful empty states, bounded parameters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import incidents
from app.clock import utcnow


@pytest.fixture
def people(make_user):
    return {name: make_user(name) for name in ("sam", "lee", "kim", "noor", "ravi", "ada")}


def test_a_burst_trends_with_its_reasons_and_a_restricted_one_only_for_its_team(
    client, people, post
):
    now = utcnow()
    vpn = incidents.register(people["sam"], title="Tunnels dropping", service="VPN")
    secret = incidents.register(people["lee"], title="Intrusion", restricted=True)
    for name in ("sam", "lee", "kim", "noor", "ravi"):
        post(
            people[name],
            "tunnel dropped again #vpn_drop",
            incident=vpn,
            occurred_at=now - timedelta(minutes=30),
        )
        if name != "sam":
            incidents.add_member(people["lee"], secret, people[name])
            post(
                people[name],
                "odd logins #exfiltration",
                incident=secret,
                occurred_at=now - timedelta(minutes=20),
            )
    post(people["lee"], "more #exfiltration", incident=secret)
    client.login("sam")
    page = client.get("/trends").get_data(as_text=True)
    assert "#vpn_drop" in page and "5 people in the last 6 h against" in page
    assert "all on VPN; 1 incident" in page and 'role="img"' in page
    assert "exfiltration" not in page
    client.login("lee")
    assert "#exfiltration" in client.get("/trends").get_data(as_text=True)


def test_an_empty_window_says_why_nothing_trends(client, people):
    client.login("sam")
    page = client.get("/trends?window=7d").get_data(as_text=True)
    assert "Nothing is trending at the end of this window" in page
    assert "No new tag has caught on" in page


@pytest.mark.parametrize(
    "query",
    ["window=1y", "to=9999-12-31", "to=0001-01-01T00:00", "to=2026-13-01", "to=yesterday"],
)
def test_bad_parameters_are_refused_with_a_message(client, people, query):
    client.login("sam")
    response = client.get(f"/trends?{query}")
    assert response.status_code == 400, query


def test_trends_and_insights_narrow_to_a_team_and_a_custom_window(client, people, post):
    now = utcnow()
    vpn = incidents.register(
        people["sam"], title="Tunnels dropping", service="VPN", assignment_group="network"
    )
    for name in ("sam", "lee", "kim", "noor", "ravi"):
        post(people[name], "tunnel dropped #vpn_drop", incident=vpn, occurred_at=now)
    client.login("sam")
    assert "#vpn_drop" in client.get("/trends?team=network").get_data(as_text=True)
    assert "#vpn_drop" not in client.get("/trends?team=identity").get_data(as_text=True)
    start = (now - timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M")
    custom = client.get(f"/trends?window=custom&from={start}").get_data(as_text=True)
    assert "#vpn_drop" in custom and 'value="custom" selected' in custom
    assert client.get("/trends?window=custom").status_code == 400  # from what?
    graph = client.waited("/insights/graph?team=identity", htmx=True).get_data(as_text=True)
    assert "No one posted in this period." in graph
    graph = client.waited("/insights/graph?team=network", htmx=True).get_data(as_text=True)
    assert "@ravi" in graph and "on VPN" in graph
