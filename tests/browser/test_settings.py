"""Settings in a real browser: the theme applies at once and stays, the password changes
with the current one, and a person's page says what they work on."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app import accounts, incidents
from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def sam(live):
    return accounts.create_user("sam", password="correct horse battery", display_name="Sam")


def background(page) -> str:
    return page.evaluate("getComputedStyle(document.documentElement).backgroundColor")


def test_a_dark_theme_applies_and_stays(new_page, sam):
    page = new_page()
    sign_in(page, "sam")
    light = background(page)
    page.locator(".account-menu summary").click()
    page.get_by_role("link", name="Settings").click()
    page.select_option("#theme", "dark")
    page.select_option("#time_zone", "Europe/Amsterdam")
    page.get_by_role("checkbox", name="Tags you follow, trending").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("#flash")).to_contain_text("Your preferences are saved.")
    dark = background(page)
    assert dark != light and dark == "rgb(15, 20, 25)"
    assert axe_violations(page) == []  # the dark theme keeps its contrast
    page.goto("/incidents")
    assert axe_violations(page) == []
    page.goto("/settings")
    expect(page.locator("#time_zone")).to_have_value("Europe/Amsterdam")
    expect(page.get_by_role("checkbox", name="Tags you follow, trending")).to_be_checked()


def test_a_password_changes_with_the_current_one(new_page, sam):
    page = new_page()
    sign_in(page, "sam")
    page.goto("/settings")
    page.fill("#current", "correct horse battery")
    page.fill("#new", "staple battery horse")
    page.fill("#again", "staple battery horse")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#flash")).to_contain_text("Your password is changed.")
    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "sam", "staple battery horse")


def test_a_persons_page_lists_their_incidents(new_page, sam):
    incident = incidents.register(sam, title="Badge readers dark", impact=1, urgency=1)
    page = new_page(390)
    sign_in(page, "sam")
    page.goto("/u/sam")
    works = page.locator("section", has=page.locator("#their-incidents-title"))
    expect(works).to_contain_text(incident.number)
    expect(works).to_contain_text("New")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
