"""Every page fits a phone: at 390 px nothing is wider than the screen (a wide table
scrolls inside its own box, key columns first), and axe finds nothing serious."""

from __future__ import annotations

import pytest

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
    return incident


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
    "/u/sam",
    "/tags",
    "/tags/epr_timeout",
    "/admin/users",
    "/admin/models",
]


def test_every_page_fits_a_phone(new_page, site, live):
    page = new_page(390)
    sign_in(page, "ada")
    wide = {}
    for path in [*PAGES, f"/incidents/{site.number}"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
        assert axe_violations(page) == [], path
    assert wide == {}
    page.goto("/incidents")
    page.screenshot(path=str(live.instance_path) + "/incidents-390.png", full_page=True)
