"""Search in a real browser: near-identical notes folded, each hit's incident, facets
that narrow with one click."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app import accounts, incidents
from app.notes import post_note
from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_fold_see_the_incident_and_narrow_by_a_facet(new_page, live, width):
    sam = accounts.create_user("sam", password="correct horse battery")
    lee = accounts.create_user("lee", password="correct horse battery")
    vpn = incidents.register(lee, title="VPN drops", service="Remote Access")
    for n in range(6):
        post_note(lee, f"vpn tunnel resets every {n + 3} minutes #vpn", incident=vpn)
    post_note(sam, "vpn client wants a new certificate #certs")
    page = new_page(width)
    sign_in(page, "sam")
    page.goto("/search?q=vpn")
    hits = page.locator(".hits > li")
    expect(hits).to_have_count(2)  # indexed by the background writer, six folded into one
    folded = hits.filter(has_text="tunnel resets")
    expect(folded.locator(".note-incident")).to_contain_text(f"{vpn.number} VPN drops")
    summary = folded.locator("summary")
    expect(summary).to_have_text("and 5 similar notes")
    summary.focus()
    page.keyboard.press("Enter")
    expect(folded.locator(".similar li")).to_have_count(5)
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.locator("#facets").get_by_role("link", name="#certs").click()
    expect(page).to_have_url(re.compile(r"q=vpn\+%23certs"))
    expect(page.locator("#q")).to_have_value("vpn #certs")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text("new certificate")
