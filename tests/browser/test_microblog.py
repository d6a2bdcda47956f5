"""The microblog in a real browser: keyboard-first posting, autocomplete, threads, live feed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app import accounts
from app.notes import post_note
from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture
def people(live):
    return {
        name: accounts.create_user(name, role=role, password=PASSWORD)
        for name, role in [("sam", "responder"), ("lee", "responder"), ("ada", "admin")]
    }


def test_post_with_ctrl_enter_pick_a_tag_and_see_it_in_the_tag_feed(new_page, people):
    post_note(people["lee"], "users stuck at #PasswordReset page")
    page = new_page()
    sign_in(page, "sam")
    box = page.locator("#note-text-main")
    box.click()
    box.press_sequentially("portal loops after reset #Passw")
    option = page.get_by_role("option", name="#PasswordReset")
    expect(option).to_be_visible()
    box.press("Enter")
    expect(box).to_have_value("portal loops after reset #PasswordReset ")
    expect(page.locator("[data-count]")).to_have_text(
        "461 characters left"
    )  # trailing space is trimmed
    box.press("Control+Enter")
    note = page.locator("#feed-list article").first
    expect(note).to_contain_text("portal loops after reset")
    expect(box).to_have_value("")
    note.get_by_role("link", name="#PasswordReset").click()
    page.wait_for_url("**/tags/passwordreset")
    expect(page.locator("#feed-list")).to_contain_text("portal loops after reset")
    expect(page.locator("#feed-list")).to_contain_text("users stuck at")


def test_n_key_jumps_to_the_composer(new_page, people):
    page = new_page()
    sign_in(page, "sam")
    page.locator("a.brand").focus()
    page.keyboard.press("n")
    expect(page.locator("#note-text-main")).to_be_focused()


def test_mention_autocomplete_and_reply_in_a_thread(new_page, people):
    root = post_note(people["lee"], "failover of db-3 starting")
    page = new_page()
    sign_in(page, "sam")
    page.goto(f"/notes/{root.id}")
    box = page.locator("#note-text-reply")
    box.press_sequentially("watching lag with @le")
    expect(page.get_by_role("option", name="@lee")).to_be_visible()
    box.press("Tab")
    box.press_sequentially("it is 2s")
    box.press("Control+Enter")
    expect(page.locator("#thread-list article")).to_have_count(2)
    expect(page.locator("#thread-list article").last).to_contain_text(
        "watching lag with @lee it is 2s"
    )


def test_followed_tag_brings_a_colleagues_note_through_live_polling(new_page, people, live):
    post_note(people["lee"], "first #dns note")
    page = new_page()
    sign_in(page, "sam")
    page.goto("/tags/dns")
    page.get_by_role("button", name="Follow #dns").click()
    page.goto("/")
    expect(page.locator("#feed-list")).to_contain_text("first #dns note")
    post_note(people["lee"], "second #dns note, resolvers flapping")
    bar = page.get_by_role("button", name="1 new note")
    expect(bar).to_be_visible(timeout=8000)
    bar.click()
    expect(page.locator("#feed-list article").first).to_contain_text("resolvers flapping")
    expect(page.get_by_role("button", name="1 new note")).to_have_count(0)


def test_stored_img_onerror_note_fires_nothing(new_page, people):
    post_note(
        people["lee"],
        '<img src=x onerror="document.title=\'pwned\'"> <script>document.title="pwned"</script>',
    )
    page = new_page()
    messages = []
    page.on("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    sign_in(page, "sam")
    page.goto("/all")
    expect(page.locator("#feed-list")).to_contain_text("<img src=x onerror=")
    assert page.title() != "pwned" and messages == []
    assert page.locator("#feed-list img, #feed-list script").count() == 0


def test_too_long_note_shows_a_message_and_posts_nothing(new_page, people):
    page = new_page()
    sign_in(page, "sam")
    box = page.locator("#note-text-main")
    box.fill("x" * 501)
    expect(page.locator("[data-count]")).to_have_text("1 characters too many")
    expect(page.locator("form[data-composer] button[type=submit]")).to_be_disabled()
    box.press("Control+Enter")
    expect(page.locator("#feed-list article")).to_have_count(0)


@pytest.mark.parametrize("width", [1100, 390])
def test_pages_have_no_serious_accessibility_violations(new_page, people, width, live):
    from app import follows, incidents

    model = incidents.save_incident_model(
        people["ada"], name="Printers", checklist="Check the print server\nCall the vendor"
    )
    incident = incidents.register(
        people["sam"], title="Ward printers offline", impact=2, service="Printing", model=model
    )
    incidents.set_major(people["ada"], incident, True)
    child = incidents.register(people["lee"], title="Ward 3 cannot print")
    incidents.link_parent(people["lee"], child, incident)
    follows.follow(people["ada"], "incident", incident.id)
    note = post_note(
        people["sam"], f"checking #a11y with @lee, see {incident.number} https://example.org/x"
    )
    post_note(people["lee"], "reply", reply_to=note)
    page = new_page(width)
    sign_in(page, "ada")
    for url in [
        "/",
        "/all",
        "/tags/a11y",
        "/u/lee",
        f"/notes/{note.id}",
        f"/notes/{note.id}/versions",
        "/notifications",
        "/admin/users",
        "/admin/models",
        f"/admin/models/{model.id}",
        "/incidents",
        "/incidents?service=Printing",
        f"/incidents/new?model={model.id}",
        "/incidents/new",
        "/incidents/major",
        "/incidents/metrics",
        f"/incidents/{incident.number}",
        "/search",
        "/search?q=checking+%23a11y",
        "/search?q=%22unclosed",
    ]:
        page.goto(url)
        assert axe_violations(page) == [], url
    page.goto(f"/notes/{note.id}")
    page.screenshot(path=str(live.instance_path) + f"/thread-{width}.png", full_page=True)
    page.goto(f"/incidents/{incident.number}")
    page.screenshot(path=str(live.instance_path) + f"/incident-{width}.png", full_page=True)
    page.context.clear_cookies()
    page.goto("/login")
    assert axe_violations(page) == []


def test_register_an_incident_post_notes_and_resolve_it_with_a_quick_action(new_page, people):
    page = new_page()
    sign_in(page, "sam")
    page.goto("/incidents/new")
    page.fill("#title", "Ward tablets cannot reach patient records")
    page.select_option("#impact", "2")
    page.select_option("#urgency", "1")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/incidents/INC0000001")
    box = page.locator("#note-text-incident")
    timeline = page.locator("#incident-timeline")
    for text in ["Wi-Fi fine, app times out #EPR", "token refresh failing since 07:00"]:
        box.fill(text)
        box.press("Control+Enter")
        expect(timeline).to_contain_text(text)
    box.fill("rolled back the token service\n/status resolved")
    expect(page.locator("#preview-incident")).to_contain_text(
        "Move INC0000001 to in progress then resolved"
    )
    box.press("Control+Enter")
    expect(page.locator("#incident-state")).to_contain_text("Resolved")
    expect(timeline).to_contain_text("rolled back the token service")
    expect(timeline).to_contain_text("from in progress to resolved")


def test_pick_a_model_tick_its_checklist_and_grow_the_team(new_page, people):
    from app import incidents

    incidents.save_incident_model(
        people["ada"],
        name="VPN outage",
        service="VPN",
        impact=1,
        urgency=2,
        checklist="Check the concentrator\nPost a status update",
        default_tags="#vpn",
    )
    page = new_page()
    sign_in(page, "sam")
    page.goto("/incidents/new")
    page.select_option("#model-pick", label="VPN outage")
    expect(page.locator("#service")).to_have_value("VPN")  # htmx swapped the form in place
    expect(page.locator("#impact")).to_have_value("1")
    page.fill("#title", "Tunnel drops every 5 minutes")
    page.click("#incident-form button[type=submit]")
    page.wait_for_url("**/incidents/INC0000001")
    expect(page.locator("#note-text-incident")).to_have_value("#vpn ")
    page.get_by_role("button", name="Check the concentrator").click()
    expect(page.locator("#checklist-title")).to_contain_text("1 of 2 done")
    page.fill("#member-name", "lee")
    page.select_option("#member-role", "scribe")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".team")).to_contain_text("@lee scribe")


def test_search_as_you_type_with_chips_and_the_slash_key(new_page, people):
    post_note(people["lee"], "VPN tunnel resets every five minutes #vpn")
    post_note(people["lee"], "tunnel under the river floods #facilities")
    post_note(people["sam"], "printer jam, not a tunnel problem #printing")
    page = new_page()
    sign_in(page, "sam")
    page.evaluate("document.activeElement.blur()")  # the composer has focus on arrival
    page.keyboard.press("/")
    expect(page.locator("#nav-q")).to_be_focused()
    page.keyboard.type("tunnel\n")
    page.wait_for_url("**/search?q=tunnel")
    box = page.locator("#q")
    expect(page.locator(".hits > li")).to_have_count(3)  # indexed by the background writer
    box.fill("tunnel @lee -#vpn")
    expect(page.locator(".hits > li")).to_have_count(1)  # htmx, as you type
    expect(page.locator(".hits mark").first).to_have_text("tunnel")
    page.get_by_role("link", name="Remove the filter not #vpn").click()
    expect(page.locator(".hits > li")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/search\?q=tunnel\+(@|%40)lee"))
    expect(box).to_have_value("tunnel @lee")
    box.fill('"tunnel')
    expect(page.locator("#search-results [role=alert]")).to_have_text(
        "A quotation mark is not closed."
    )
