"""The incident page is a working surface: a compact header with its state, clocks and
owner; the composer above the fold and the timeline under it, in the order each person
chose; actions in a menu the keyboard reaches, each opening its form under the header."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app import accounts, incidents
from app.notes import post_note
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def incident(live):
    sam = accounts.create_user("sam", password="correct horse battery")
    lee = accounts.create_user("lee", password="correct horse battery")
    model = incidents.save_incident_model(
        accounts.create_user("ada", role="admin", password="correct horse battery"),
        name="Printers",
        checklist="\n".join(f"Step {n} of the printer runbook" for n in range(1, 9)),
    )
    incident = incidents.register(
        sam,
        title="Ward tablets cannot reach patient records",
        description="Since 07:40 the record view spins on every ward tablet. " * 4,
        service="Patient Records",
        impact=1,
        urgency=2,
        model=model,
    )
    for name in ("lee", "ada"):
        incidents.add_member(sam, incident, accounts.get_user(name), "member")
    incidents.acknowledge(sam, incident)  # work has started: hold and resolve are offered
    post_note(lee, "first: tablets on ward 3 spin", incident=incident)
    post_note(sam, "second: token service restarted", incident=incident)
    return incident


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_the_composer_is_above_the_fold(browser, live, incident, width, height):
    context = browser.new_context(
        viewport={"width": width, "height": height}, base_url=live.config["LIVE_URL"]
    )
    page = context.new_page()
    sign_in(page, "sam")
    page.goto(f"/incidents/{incident.number}")
    box = page.locator("#note-text-incident").bounding_box()
    button = page.get_by_role("button", name="Post to timeline").bounding_box()
    if width > 1000:
        assert button["y"] + button["height"] <= height  # the whole composer, button included
    else:
        assert box["y"] + box["height"] <= height * 0.6  # its box in the top part of a phone
    expect(page.locator("#incident-state")).to_contain_text("In progress")
    expect(page.locator("#incident-state")).to_contain_text("P2")
    expect(page.locator("#incident-state")).to_contain_text("Owner @sam")
    context.close()


def test_the_timeline_order_is_remembered_per_person(new_page, incident):
    page = new_page()
    sign_in(page, "sam")
    page.goto(f"/incidents/{incident.number}")
    notes = page.locator("#incident-timeline article")
    expect(notes.first).to_contain_text("second: token service restarted")
    page.get_by_role("button", name="Show oldest first").click()
    expect(notes.first).to_contain_text("first: tablets on ward 3 spin")
    box = page.locator("#note-text-incident")
    box.fill("third: gateway rolled back")
    box.press("Control+Enter")
    expect(notes.last).to_contain_text("third: gateway rolled back")  # oldest first: at the end

    later = new_page()  # another browser, the same person: the choice travels with them
    sign_in(later, "sam")
    later.goto(f"/incidents/{incident.number}")
    expect(later.locator("#incident-timeline article").first).to_contain_text("first:")
    colleague = new_page()  # someone else still reads newest first
    sign_in(colleague, "lee")
    colleague.goto(f"/incidents/{incident.number}")
    expect(colleague.locator("#incident-timeline article").first).to_contain_text("third:")


def test_actions_are_a_menu_the_keyboard_reaches(new_page, incident):
    page = new_page()
    sign_in(page, "sam")
    page.goto(f"/incidents/{incident.number}")
    assert page.locator("main details:not(.occurred):not([data-menu])").count() == 0
    menu = page.locator("#incident-head details[data-menu]")
    summary = menu.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(summary).to_be_focused()

    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the first item
    expect(page.get_by_role("link", name="Put on hold…")).to_be_focused()
    page.keyboard.press("Enter")
    reason = page.locator("#hold-reason")
    expect(reason).to_be_focused()  # the form opened under the header, ready to type
    expect(menu).not_to_have_attribute("open", "")
    assert page.url.endswith(f"/incidents/{incident.number}")  # htmx: no page load
    page.keyboard.type("waiting for the vendor's patch")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#incident-state")).to_contain_text("On hold")
    expect(page.locator("#incident-timeline")).to_contain_text("from in progress to on hold")


def test_an_action_form_closes_without_a_trace(new_page, incident):
    page = new_page()
    sign_in(page, "sam")
    page.goto(f"/incidents/{incident.number}")
    page.get_by_role("link", name="Resolve…").click()
    expect(page.locator("#resolution-notes")).to_be_visible()
    page.locator("#action-panel").get_by_role("link", name="Cancel").click()
    expect(page.locator("#action-panel")).to_be_empty()
    expect(page.locator("#incident-state")).to_contain_text("In progress")


def test_sla_badges_count_down_and_turn_at_risk_then_breached(new_page, live):
    import re
    from datetime import timedelta

    from app.clock import utcnow
    from app.extensions import db

    sam = accounts.create_user("sam", password="correct horse battery")
    page = new_page()
    sign_in(page, "sam")
    fresh = incidents.register(sam, title="Badge readers dark", impact=1, urgency=1)
    # P1: respond within 15 min, resolve within 4 h; respond due 5 s from now.
    fresh.registered_at = utcnow() - timedelta(minutes=15) + timedelta(seconds=5)
    db.session.commit()
    page.goto("/incidents")
    respond = page.locator("#incident-rows [data-sla=respond]")
    expect(respond).to_have_class("sla-badge sla-at_risk")
    expect(respond).to_have_text(re.compile(r"At risk · respond in [1-5] s"))
    first = respond.text_content()
    expect(respond).not_to_have_text(first)  # it counts down, second by second
    expect(respond).to_have_text(re.compile(r"Breached · respond [0-9] s late"), timeout=8000)
    expect(respond).to_have_class("sla-badge sla-breached")  # without a reload
    page.goto(f"/incidents/{fresh.number}")
    resolve = page.locator("#incident-state [data-sla=resolve]")
    expect(resolve).to_have_text(re.compile(r"Resolve in 3 h 4[45] min"))
    expect(resolve).to_have_class("sla-badge sla-on_track")
