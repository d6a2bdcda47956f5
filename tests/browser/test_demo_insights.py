"""The insight pages on the demo organisation, as a designer opens them: the planted
burst trends on /trends with its why, the planted pair and lead–lag read on their
pages, the people graph draws its teams and a click on a person opens their page, and
the restricted incidents' tags are nowhere for someone outside their teams."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.intake import demo
from tests.browser.conftest import axe_violations, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "incident-to-insight"


@pytest.fixture
def truth(live):
    demo.build_demo(notes=6000, seed=7, days=42, instance_dir=Path(live.instance_path))
    return json.loads((Path(live.instance_path) / "demo-ground-truth.json").read_text())


def outsider(truth) -> str:
    inside = {m for r in truth["restricted"] for m in r["team"]}
    return next(p for p in ("dina", "sam", "lee", "kim", "noor") if p not in inside)


def test_the_demo_reads_on_every_insight_page(new_page, truth):
    page = new_page(1100)
    sign_in(page, outsider(truth), PASSWORD)
    secret = {tag for r in truth["restricted"] for tag in r["tags"]}
    burst = next(b for b in truth["bursts"] if b["tag"] == "password_reset")
    peak = datetime.fromisoformat(burst["peak"]) + timedelta(hours=1)
    page.goto(f"/trends?window=24h&to={peak.strftime('%Y-%m-%dT%H:%M')}")
    item = page.locator(".trend-list li", has_text="#password_reset")
    expect(item).to_contain_text("people in the last 6 h against")
    expect(item).to_contain_text("Patient Records")
    period = f"from={truth['start'][:10]}&to={truth['end'][:10]}"
    page.goto(f"/insights/correlations?{period}")
    expect(page.locator("#insight-body")).to_contain_text("#portal is written with #selfservice")
    page.goto(f"/insights/lead-lag?{period}")
    expect(page.locator("#insight-body")).to_contain_text(
        "#cert_warning tends to come 6 h before #sso_outage"
    )
    expect(page.locator("[data-name=lead-lag]")).to_have_attribute("data-drawn", "true")
    page.goto(f"/insights/graph?{period}")
    chart = page.locator("[data-name=people-graph]")
    expect(chart).to_have_attribute("data-drawn", "true")
    team = truth["teams"][0]["members"]
    teams = page.locator("#insight-body li", has_text="Team")
    assert any(all(f"@{m}" in t for m in team) for t in teams.all_inner_texts())
    assert axe_violations(page) == []
    for content in (page.content(),):
        assert not [tag for tag in secret if f"#{tag}" in content]
    chart.locator("g.mark-symbol.role-mark path").first.click()
    page.wait_for_url("**/u/*")
