"""The inbox reads at a glance: one group per kind and incident, read together."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app import accounts, incidents
from app.notes import post_note
from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser


def test_groups_are_marked_read_together_and_the_badge_follows(new_page, live):
    sam = accounts.create_user("sam", password="correct horse battery")
    lee = accounts.create_user("lee", password="correct horse battery")
    printers = incidents.register(lee, title="Ward printers offline")
    for n in range(6):
        post_note(lee, f"@sam printer {n} is dark", incident=printers)
    note = post_note(sam, "need eyes on the LB")
    post_note(lee, "looking", reply_to=note)
    page = new_page()
    sign_in(page, "sam")
    expect(page.locator("#unread")).to_have_text(", 7 unread")
    page.get_by_role("link", name="Notifications").click()
    groups = page.locator(".inbox-group")
    expect(groups).to_have_count(2)
    mentions = groups.filter(has_text=printers.number)
    expect(mentions).to_contain_text("6 unread")
    mentions.get_by_role("button", name="Mark these 6 read").click()
    expect(page.locator("#unread")).to_have_text(", 1 unread")
    expect(page.locator(".inbox-group.unread")).to_have_count(1)
    assert axe_violations(page) == []
