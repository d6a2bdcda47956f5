"""The trends page in a real browser: the burst and its why, a follow from there, axe-clean
on desktop and at 390 px, no wider than the screen, nothing of a restricted incident."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app import accounts, incidents
from app.clock import utcnow
from app.notes import post_note
from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser
NAMES = ("sam", "lee", "kim", "noor", "ravi")


@pytest.fixture
def burst(live):
    people = {n: accounts.create_user(n, password="correct horse battery") for n in NAMES}
    now = utcnow()
    vpn = incidents.register(people["sam"], title="Tunnels dropping", service="VPN")
    secret = incidents.register(people["lee"], title="Intrusion", restricted=True)
    for name, person in people.items():
        post_note(
            person,
            "tunnel dropped #vpn_drop",
            incident=vpn,
            occurred_at=now - timedelta(minutes=40),
        )
        if name != "sam":
            incidents.add_member(people["lee"], secret, person)
            post_note(
                person,
                "odd logins #exfiltration",
                incident=secret,
                occurred_at=now - timedelta(minutes=30),
            )
    return people


@pytest.mark.parametrize("width", [1100, 390])
def test_trends_show_the_burst_with_its_why_and_nothing_restricted(new_page, burst, live, width):
    page = new_page(width)
    sign_in(page, "sam")
    page.goto("/trends")
    item = page.locator(".trend-list li", has_text="#vpn_drop")
    expect(item).to_contain_text("5 people in the last 6 h against")
    expect(item.locator("svg[role=img]")).to_have_count(1)
    assert "exfiltration" not in page.content()
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(live.instance_path) + f"/trends-{width}.png", full_page=True)
    item.get_by_role("button", name="Follow").click()
    page.wait_for_url("**/tags/vpn_drop")
    expect(page.get_by_role("button", name="Following")).to_be_visible()


def test_a_team_member_sees_the_restricted_tag_trend(new_page, burst):
    page = new_page()
    sign_in(page, "lee")
    page.goto("/trends")
    expect(page.locator(".trend-list li", has_text="#exfiltration")).to_be_visible()
