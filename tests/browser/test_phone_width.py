"""Every page fits a phone: at 390 px nothing is wider than the screen (a wide table
scrolls inside its own box, key columns first), and axe finds nothing serious there or
on a desktop."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from app import accounts, incidents
from app.notes import post_note
from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live):
    ada = accounts.create_user("ada", role="admin", password="correct horse battery")
    sam = accounts.create_user("sam", password="correct horse battery")
    for n in range(6):
        incident = incidents.register(
            sam,
            title=f"Patient record viewer times out for ward staff, case {n}",
            service="Patient Records",
            owner=ada,
        )
        post_note(sam, f"timeouts on ward {n} again #epr_timeout @ada", incident=incident)
    incidents.acknowledge(sam, incident)
    note = post_note(ada, f"looking at {incident.number} now #epr_timeout")
    post_note(sam, "thanks, the token service is fine", reply_to=note)
    return SimpleNamespace(number=incident.number, note_id=note.id)


PAGES = [
    "/",
    "/all",
    "/incidents",
    "/incidents/metrics",
    "/incidents/major",
    "/incidents/new",
    "/trends",
    "/insights/correlations",
    "/insights/lead-lag",
    "/insights/graph",
    "/search?q=ward",
    "/notifications",
    "/notifications?kind=mention",
    "/settings",
    "/u/sam",
    "/u/ada",
    "/tags",
    "/tags/epr_timeout",
    "/admin/users",
    "/admin/models",
    "/reports",
    "/insights/board",
    "/interviews",
]


@pytest.mark.parametrize("width", [390, 1280])
def test_every_page_fits_a_phone(new_page, site, live, width):
    page = new_page(width)
    sign_in(page, "ada")
    wide = {}
    own = [f"/notes/{site.note_id}/retract", f"/notes/{site.note_id}/edit"]
    incident = [
        f"/incidents/{site.number}",
        f"/incidents/{site.number}?act=resolve",
        f"/incidents/{site.number}/review",
    ]
    for path in [*PAGES, *incident, *own]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        if path.startswith("/search"):  # measured with its hits, once the index has them
            expect(page.locator(".hits > li").first).to_be_visible()
        seen = page.evaluate("document.documentElement.scrollWidth")
        if seen > width:
            wide[path] = seen
        assert axe_violations(page) == [], path
    assert wide == {}
    if width > 390:
        return
    page.goto("/incidents")
    page.screenshot(path=str(live.instance_path) + "/incidents-390.png", full_page=True)
