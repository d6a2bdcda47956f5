"""Live updates in a real browser, timed as a user waits for them: a colleague's note on
another person's feed, a note and a status change on an open incident page, a mention
on the notification badge, all within 2 seconds, with a count in the tab title."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from app import accounts, incidents
from app.notes import post_note
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
WAIT_MS = 5000  # fail slowly enough to tell "late" from "never"


@pytest.fixture
def people(live):
    return {name: accounts.create_user(name, password=PASSWORD) for name in ("sam", "lee")}


def seconds_until(page, condition: str, arg=None) -> float:
    """How long until `condition` (a JavaScript function) holds, checked every 50 ms."""
    started = time.perf_counter()
    page.wait_for_function(condition, arg=arg, polling=50, timeout=WAIT_MS)
    return time.perf_counter() - started


BAR_SAYS = "(text) => (document.querySelector('#new-bar button') || {}).textContent === text"


def test_a_colleagues_note_shows_on_a_feed_within_two_seconds(new_page, people):
    page = new_page()
    sign_in(page, "sam")
    page.goto("/all")
    page.wait_for_load_state("networkidle")
    waits = []
    for n in range(1, 6):
        post_note(people["lee"], f"resolvers flapping, report {n} #dns")
        waits.append(seconds_until(page, BAR_SAYS, f"{n} new note{'s' if n > 1 else ''}"))
        page.wait_for_timeout(300 * n % 700)  # posts land at different points of the poll
    assert max(waits) < 2.0, waits
    expect(page).to_have_title("(5) All notes · I2I")
    page.get_by_role("button", name="5 new notes").click()
    expect(page.locator("#feed-list article").first).to_contain_text("report 5")
    expect(page).to_have_title("All notes · I2I")


def test_a_mention_reaches_the_badge_within_two_seconds(new_page, people):
    page = new_page()
    sign_in(page, "sam")
    page.goto("/tags")  # a page with no feed: the badge and the title still follow
    page.wait_for_load_state("networkidle")
    post_note(people["lee"], "@sam can you look at the resolvers?")
    waited = seconds_until(page, "() => document.querySelector('#unread').textContent.trim()")
    assert waited < 2.0
    expect(page.locator("#unread")).to_have_text(", 1 unread")
    expect(page).to_have_title(re.compile(r"^\(1\) "))


def test_an_open_incident_page_follows_its_timeline_and_state(new_page, people):
    incident = incidents.register(people["sam"], title="Ward tablets cannot reach records")
    page = new_page()
    sign_in(page, "sam")
    page.goto(f"/incidents/{incident.number}")
    page.wait_for_load_state("networkidle")
    shown = "document.querySelector('#incident-timeline > li[data-entry]')"
    page.evaluate(f"{shown}.dataset.kept = 'yes'")  # the element the page showed first
    note = post_note(people["lee"], "ward 5 too, since 07:40", incident=incident)
    waited = seconds_until(page, "(id) => !!document.querySelector(`#note-${id}`)", note.id)
    assert waited < 2.0
    first = page.locator("#incident-timeline > li").first
    expect(first).to_contain_text("ward 5 too")  # newest first: on top
    incidents.acknowledge(people["lee"], incident)
    waited = seconds_until(
        page, "() => document.querySelector('#incident-state').textContent.includes('In progress')"
    )
    assert waited < 2.0
    expect(page.locator("#incident-timeline > li").first).to_contain_text("to in progress")
    box = page.locator("#note-text-incident")  # one's own note is there once, not twice
    box.fill("thanks, looking at the gateway")
    box.press("Control+Enter")
    expect(page.locator("#incident-timeline")).to_contain_text("looking at the gateway")
    page.wait_for_timeout(2500)  # the live question has asked again by now
    expect(
        page.locator("#incident-timeline article", has_text="looking at the gateway")
    ).to_have_count(1)
    # What was written just before each answer comes again (a note committed late on
    # PostgreSQL would otherwise be missed); the page keeps each entry once, where it was.
    keys = page.eval_on_selector_all(
        "#incident-timeline > li[data-entry]", "items => items.map(i => i.dataset.entry)"
    )
    assert len(keys) == len(set(keys)) >= 4
    expect(page.locator("#incident-timeline > li[data-kept=yes]")).to_have_count(1)


def test_a_hidden_incident_page_counts_each_arrival_once(new_page, people):
    """Live answers carry again what was written just before them; the tab title still
    counts each entry that arrived while the tab was hidden once."""
    incident = incidents.register(people["lee"], title="Ward printers offline")
    page = new_page()
    sign_in(page, "sam")
    page.goto(f"/incidents/{incident.number}")
    page.wait_for_load_state("networkidle")
    page.evaluate(
        "Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true})"
    )
    post_note(people["lee"], "ward 7 printers offline too", incident=incident)
    seconds_until(page, "() => document.title.startsWith('(1) ')")
    for i in range(3):  # changes elsewhere: the page asks again, and is sent the note again
        post_note(people["lee"], f"unrelated {i}")
        page.wait_for_timeout(1200)
    expect(page).to_have_title(re.compile(r"^\(1\) "))
    expect(page.locator("#incident-timeline article", has_text="ward 7 printers")).to_have_count(1)
