"""Retract asks first and offers an undo; edit happens in place of the card; both from
the keyboard, nothing leaving the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app import accounts, notes
from app.extensions import db
from app.notes import post_note
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def sam(live):
    return accounts.create_user("sam", password="correct horse battery")


def test_retract_asks_then_undo_brings_it_back(new_page, sam):
    note = post_note(sam, "wrong ward named in this note #epr")
    page = new_page()
    sign_in(page, "sam")
    card = page.locator(f"#note-{note.id}")
    card.get_by_role("link", name="Retract…").click()
    question = card.locator(".confirm")
    expect(question).to_contain_text("Retract this note?")
    question.get_by_role("link", name="Keep it").click()  # changed one's mind: nothing happens
    expect(question).to_have_count(0)
    expect(card).to_contain_text("wrong ward named")

    card.get_by_role("link", name="Retract…").click()
    expect(page.get_by_role("button", name="Retract", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(card).to_contain_text("Note retracted")
    undo = card.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()
    page.reload()
    expect(page.locator(f"#note-{note.id}")).to_have_count(0)  # gone from the feed
    page.goto(f"/notes/{note.id}")
    page.get_by_role("button", name="Undo").click()  # the thread still offers the way back
    expect(page.get_by_role("button", name="Undo")).to_have_count(0)
    page.goto("/")
    expect(page.locator(f"#note-{note.id}")).to_contain_text("wrong ward named")


def test_edit_in_place_saves_with_ctrl_enter_and_keeps_the_versions(new_page, sam):
    note = post_note(sam, "tunel resets at :05")
    page = new_page()
    sign_in(page, "sam")
    url = page.url
    card = page.locator(f"#note-{note.id}")
    card.get_by_role("link", name="Edit", exact=True).click()
    box = page.locator(f"#edit-text-{note.id}")
    expect(box).to_be_focused()
    box.fill("tunnel resets at :05 #vpn")
    box.press("Control+Enter")
    expect(card).to_contain_text("tunnel resets at :05")
    expect(card.get_by_role("link", name="#vpn")).to_be_visible()
    expect(card.get_by_role("link", name="edited")).to_be_visible()
    assert page.url == url  # in place
    db.session.commit()  # end this test's read snapshot: see what the server wrote
    assert [v.text for v in notes.versions_of(note, sam)] == [
        "tunel resets at :05",
        "tunnel resets at :05 #vpn",
    ]
    card.get_by_role("link", name="Edit", exact=True).click()
    page.locator(f"#edit-text-{note.id}").fill("x" * 501)
    expect(card.get_by_role("button", name="Save")).to_be_disabled()
    card.get_by_role("link", name="Cancel").click()
    expect(card).to_contain_text("tunnel resets at :05")
    expect(page.locator(f"#edit-text-{note.id}")).to_have_count(0)
