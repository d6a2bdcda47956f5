"""The quick-action preview always shows what posting would do now: it clears when the
draft does, never piles up old lines, and flags a mistyped command before posting."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from app import accounts, incidents
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def incident(live):
    sam = accounts.create_user("sam", password="correct horse battery")
    return incidents.register(sam, title="Ward tablets cannot reach patient records")


def test_the_preview_follows_the_draft_and_flags_a_mistyped_command(new_page, incident):
    page = new_page()
    sign_in(page, "sam")
    page.goto(f"/incidents/{incident.number}")
    box = page.locator("#note-text-incident")
    preview = page.locator("#preview-incident")
    box.click()
    started = time.perf_counter()
    box.type("/status in_progress")
    expect(preview).to_have_text(f"Move {incident.number} to in progress")
    waited = time.perf_counter() - started
    box.press("Control+a")
    box.press("Backspace")
    expect(preview).to_have_text("")  # cleared with the draft
    box.type("/status closed")
    expect(preview).to_have_text(f"{incident.number} is new; it cannot move to closed.")
    box.fill("")
    box.type("/stauts resolved")
    expect(preview).to_have_text(
        "/stauts is not a quick action: did you mean /status? As it is, the line is posted as text."
    )
    box.fill("")
    box.type("/etc is full again")  # looks like no command: just text, no warning
    page.wait_for_timeout(600)
    expect(preview).to_have_text("")
    assert waited < 3.0  # typing 19 keys, then the 300 ms pause and the answer


def test_a_reply_link_puts_the_cursor_in_the_reply_box(new_page, incident, live):
    from app.models import User
    from app.notes import post_note

    sam = User.query.filter_by(username="sam").one()
    note = post_note(sam, "token refresh failing since 07:00")
    page = new_page()
    sign_in(page, "sam")
    page.goto("/all")
    page.locator(f"#note-{note.id}").get_by_role("link", name="Reply").click()
    page.wait_for_url(f"**/notes/{note.id}#reply")
    expect(page.locator("#note-text-reply")).to_be_focused()
