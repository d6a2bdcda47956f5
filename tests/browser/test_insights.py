"""The tag story and the insight pages in a real browser: charts drawn by Vega under the
page's CSP, a click on a graph node opening its story, axe-clean on desktop and at
390 px, no wider than the screen, nothing of a restricted incident for outsiders."""

from __future__ import annotations

import re
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
def world(live):
    people = {n: accounts.create_user(n, password="correct horse battery") for n in NAMES}
    now = utcnow()
    vpn = incidents.register(people["sam"], title="Tunnels dropping", service="VPN")
    secret = incidents.register(people["lee"], title="Intrusion", restricted=True)
    for i, (name, person) in enumerate(people.items()):
        at = now - timedelta(days=2, hours=i)
        post_note(person, "tunnel dropped #vpn_drop #tunnel", incident=vpn, occurred_at=at)
        post_note(person, f"dns check {i} #dns", occurred_at=at)
        post_note(person, f"replied @sam {i} #dns", occurred_at=at)
        if name != "sam":
            incidents.add_member(people["lee"], secret, person)
            post_note(person, "odd logins #exfiltration #lateral", incident=secret, occurred_at=at)
    return people


def watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def drawn(page, selector: str) -> None:
    expect(page.locator(selector)).to_have_attribute("data-drawn", "true")
    expect(page.locator(f"{selector} svg")).to_have_count(1)


@pytest.mark.parametrize("width", [1100, 390])
def test_the_tag_page_draws_its_story(new_page, world, live, width):
    page = new_page(width)
    problems = watch_console(page)
    sign_in(page, "sam")
    page.goto("/tags/vpn_drop")
    expect(page.get_by_role("heading", name="The story of #vpn_drop")).to_be_visible()
    drawn(page, "[data-name=volume]")
    drawn(page, "[data-name=services]")
    expect(page.locator("#story")).to_contain_text("#vpn_drop is written with #tunnel")
    page.get_by_text("Table of this chart").first.click()
    expect(page.locator("#story table").first).to_contain_text("Notes")
    assert "exfiltration" not in page.content()
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(live.instance_path) + f"/story-{width}.png", full_page=True)
    page.get_by_role("link", name="30 days").click()  # htmx swaps the story in place
    expect(page.locator("#story a[aria-current]")).to_have_text("30 days")
    drawn(page, "[data-name=volume]")
    assert problems == []


@pytest.mark.parametrize("width", [1100, 390])
@pytest.mark.parametrize("view", ["correlations", "lead-lag", "graph"])
def test_each_insight_page_is_clean_and_fits(new_page, world, live, view, width):
    page = new_page(width)
    problems = watch_console(page)
    sign_in(page, "sam")
    page.goto(f"/insights/{view}")
    expect(page.locator("#insight-body")).not_to_have_attribute("aria-busy", "true")
    for chart in page.locator("[data-chart]").all():
        expect(chart).to_have_attribute("data-drawn", "true")
    assert "exfiltration" not in page.content() and "lateral" not in page.content()
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(live.instance_path) + f"/insights-{view}-{width}.png", full_page=True)
    assert problems == []


def test_a_click_on_a_tag_in_the_graph_opens_its_story(new_page, world):
    page = new_page(1100)
    sign_in(page, "sam")
    page.goto("/insights/graph")
    drawn(page, "[data-name=tag-graph]")
    drawn(page, "[data-name=people-graph]")
    node = page.locator("[data-name=tag-graph] g.mark-symbol.role-mark path").first
    node.click()
    page.wait_for_url("**/tags/*/story")
    expect(page.get_by_role("heading", name="The story of #")).to_be_visible()


def test_sorting_a_correlation_table_by_a_column(new_page, world):
    page = new_page(1100)
    sign_in(page, "lee")
    page.goto("/insights/correlations")
    page.get_by_text(re.compile(r"^All \d+ pairs?$")).click()
    table = page.locator("table[data-sortable]").first
    table.get_by_role("button", name="Notes").click()
    header = table.locator("th", has=page.get_by_role("button", name="Notes"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    counts = [int(c) for c in table.locator("tbody td:nth-child(4)").all_inner_texts()]
    assert counts == sorted(counts)
    table.get_by_role("button", name="Notes").click()
    counts = [int(c) for c in table.locator("tbody td:nth-child(4)").all_inner_texts()]
    assert counts == sorted(counts, reverse=True)
    assert "#exfiltration" in page.content()  # a member sees the restricted pair
