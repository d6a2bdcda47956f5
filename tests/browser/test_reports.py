"""Reports, the insight board and interview requests in a real browser: build a report,
watch its progress, reload mid-way, download each format; promote a pattern, move it
across the board with the keyboard, a watcher told; accept and decline interviews."""

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
    for name, role in (("rui", "researcher"), ("dina", "designer")):
        people[name] = accounts.create_user(name, role=role, password="correct horse battery")
    now = utcnow()
    vpn = incidents.register(people["sam"], title="Tunnels dropping", service="VPN")
    for i, name in enumerate(NAMES):
        at = now - timedelta(days=2, hours=i)
        post_note(people[name], "users cannot reach the tunnel #vpn_drop #tunnel", incident=vpn,
                  occurred_at=at)  # fmt: skip
        post_note(people[name], f"dns check {i} #dns", occurred_at=at)
    return people


def build_report(page, title: str = "VPN week") -> str:
    page.goto("/reports")
    page.fill("input[name=title]", title)
    page.click("text=Build the report")
    page.wait_for_url(re.compile(r"/reports/\d+$"))
    return page.url


def wait_for_report(page) -> None:
    expect(page.get_by_role("heading", name="VPN week")).to_be_visible(timeout=60_000)


def pattern_actions(page):
    """A researcher's finished report, with the actions of its planted pair opened."""
    sign_in(page, "rui")
    build_report(page)
    wait_for_report(page)
    pattern = page.locator(".pattern", has_text="#tunnel is written with #vpn_drop").first
    pattern.locator("summary", has_text="Act on this pattern").click()
    return pattern


@pytest.mark.parametrize("width", [1100, 390])
def test_a_report_is_built_watched_reloaded_and_downloaded(new_page, world, width, tmp_path):
    page = new_page(width)
    sign_in(page, "rui")
    url = build_report(page)
    expect(page.locator(".job")).to_be_visible()  # its progress, first
    page.reload()  # mid-way, or done already: the same report either way
    assert page.url == url
    wait_for_report(page)
    expect(page.locator("#report-document")).to_contain_text("#tunnel is written with #vpn_drop")
    expect(page.locator("[data-name=report-pairs]")).to_have_attribute("data-drawn", "true")
    for kind, extension in (("HTML", "html"), ("PDF", "pdf"), ("CSV", "zip"), ("XLSX", "xlsx"),
                            ("JSON", "json")):  # fmt: skip
        with page.expect_download() as download:
            page.get_by_role("link", name=kind, exact=True).click()
        saved = tmp_path / f"report.{extension}"
        download.value.save_as(saved)
        assert download.value.suggested_filename.endswith(f".{extension}")
        assert saved.stat().st_size > 500
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    offline = new_page(width)
    requests: list[str] = []
    offline.on("request", lambda r: requests.append(r.url))
    offline.goto((tmp_path / "report.html").as_uri())
    expect(offline.locator("h1")).to_have_text("VPN week")
    expect(offline.locator("figure svg").first).to_be_visible()
    assert requests == [(tmp_path / "report.html").as_uri()]  # nothing leaves the file
    assert axe_violations(offline) == []
    page.goto("/reports")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_pattern_goes_to_the_board_and_across_it_by_keyboard(new_page, world, live):
    page = new_page()
    pattern = pattern_actions(page)
    pattern.get_by_role("button", name="Promote to the insight board").click()
    page.wait_for_url(re.compile(r"/insights/board/\d+$"))
    watcher = new_page()
    sign_in(watcher, "dina")
    watcher.goto(page.url)
    watcher.get_by_role("button", name=re.compile("Watch")).click()
    page.goto("/insights/board")
    card = page.locator(".board-card").first
    card.focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-status=investigating] .board-card")).to_have_count(1)
    expect(page.locator(".board-card").first).to_be_focused()
    assert axe_violations(page) == []
    watcher.goto("/notifications")
    expect(watcher.locator("main")).to_contain_text("New → Investigating")


def test_interview_requests_are_accepted_and_declined(new_page, world, live):
    page = new_page()
    pattern = pattern_actions(page)
    pattern.get_by_role("button", name="Send the request").click()
    page.wait_for_url(re.compile(r"/interviews"))
    expect(page.locator("main")).to_contain_text("You will see their names here once they say yes")
    from app.extensions import db
    from app.models import InterviewRequest

    asked = db.session.scalars(db.select(InterviewRequest).order_by(InterviewRequest.id)).all()
    assert len(asked) >= 2
    yes, no = asked[0].person.username, asked[1].person.username
    for username, button in ((yes, "Yes, I will talk"), (no, "No, thank you")):
        person = new_page(390)
        sign_in(person, username)
        person.goto("/interviews")
        expect(person.locator("main")).to_contain_text("Why you:")
        assert axe_violations(person) == []
        person.get_by_role("button", name=button).first.click()
        expect(person.locator("main")).to_contain_text(
            "accepted" if username == yes else "declined"
        )
    page.goto("/interviews")
    sent = page.locator("main")
    expect(sent).to_contain_text(f"{yes} — accepted")
    expect(sent).not_to_contain_text(f"{no} —")
