"""Feed cards read at a glance: each names its incident with a status badge, a reply
quotes its parent, initials stand for the author; on a wide screen the feed has a side
column with followed incidents and today's trending tags, on a phone it is alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app import accounts, follows, incidents
from app.notes import post_note
from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(live):
    sam = accounts.create_user("sam", password="correct horse battery", display_name="Sam Singh")
    lee = accounts.create_user("lee", password="correct horse battery", display_name="Lee Laurent")
    incident = incidents.register(sam, title="Ward tablets cannot reach records", impact=1)
    follows.follow(sam, "incident", incident.id)
    first = post_note(lee, "tablets on ward 3 spin on the record view", incident=incident)
    post_note(sam, "token service restarted, no change", reply_to=first)
    return incident


def test_a_wide_feed_has_a_side_column_and_cards_with_context(new_page, scene):
    page = new_page(1280)
    sign_in(page, "sam")
    reply = page.locator("#feed-list article").first
    expect(reply.locator(".avatar")).to_have_text("SS")
    expect(reply.locator(".note-incident")).to_contain_text(scene.number)
    expect(reply.locator(".note-incident")).to_contain_text("New")
    expect(reply.locator("blockquote.context")).to_contain_text(
        "in reply to Lee Laurent: tablets on ward 3 spin on the record view"
    )
    side = page.locator("aside.feed-side")
    expect(side).to_be_visible()
    expect(side).to_contain_text(scene.number)
    expect(page.locator("#trending-side")).to_contain_text("Nothing is trending")  # loaded
    feed_box = page.locator(".feed-main").bounding_box()
    side_box = side.bounding_box()
    assert side_box["x"] >= feed_box["x"] + feed_box["width"]  # beside, not below
    assert axe_violations(page) == []


def test_a_phone_feed_is_alone_and_fits(new_page, scene):
    page = new_page(390)
    sign_in(page, "sam")
    expect(page.locator("#feed-list article").first.locator(".note-incident")).to_be_visible()
    expect(page.locator("aside.feed-side")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
