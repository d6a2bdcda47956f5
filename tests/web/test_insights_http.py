"""The tag story and the insight pages over HTTP: what they find, what they leave out for
people outside a restricted incident, how they load, and bounded parameters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.models import Job


def test_the_tag_page_loads_its_story_and_the_story_reads_the_tag(client, world):
    client.login("sam")
    page = client.get("/tags/vpn_drop").get_data(as_text=True)
    assert 'hx-get="/tags/vpn_drop/story?story=90d"' in page and "<progress" in page
    story = client.get("/tags/vpn_drop/story", htmx=True).get_data(as_text=True)
    assert "<html" not in story and "The story of #vpn_drop" in story
    assert "5 notes by 5 people" in story
    assert "data-chart=" in story and "Table of this chart" in story
    assert "#vpn_drop is written with #tunnel in 5 notes" in story
    assert "Services of incidents with #vpn_drop" in story and "<td>VPN</td>" in story
    assert "Who knows it best" in story and 'href="/incidents/' in story
    assert story.count('class="note') >= 1  # representative notes, as cards
    assert "exfiltration" not in story and "Intrusion" not in story


def test_a_member_reads_the_restricted_notes_in_the_story_and_an_outsider_cannot_open_it(
    client, other_client, world
):
    client.login("lee")
    story = client.get("/tags/vpn_drop/story", htmx=True).get_data(as_text=True)
    assert "9 notes by 5 people" in story and "#exfiltration" in story
    other_client.login("sam")
    assert other_client.get("/tags/exfiltration/story").status_code == 404
    assert other_client.get("/tags/exfiltration").status_code == 404


def test_the_story_without_javascript_is_a_page_of_its_own(client, world):
    client.login("sam")
    page = client.get("/tags/vpn_drop/story?story=30d").get_data(as_text=True)
    assert "<html" in page and "The story of #vpn_drop" in page and "vega.min.js" in page
    assert 'aria-current="true">30 days' in page


def test_a_quiet_tag_tells_its_story_is_empty(client, world, post):
    post(world["sam"], "once #rare", occurred_at=utcnow() - timedelta(days=200))
    client.login("sam")
    story = client.get("/tags/rare/story", htmx=True).get_data(as_text=True)
    assert "No notes with #rare in the last 90 days; try a longer window." in story
    assert "1 note by 1 person" in client.get("/tags/rare/story?story=365d").get_data(as_text=True)


@pytest.mark.parametrize("view", ["correlations", "lead-lag", "graph"])
def test_an_insight_page_comes_as_a_frame_a_background_job_fills_in(client, world, view):
    client.login("sam")
    frame = client.get(f"/insights/{view}").get_data(as_text=True)
    assert "<progress" in frame and f'hx-get="/insights/{view}?from=' in frame
    assert "<noscript>" in frame and "now=1" in frame
    waiting = client.get(f"/insights/{view}", htmx=True).get_data(as_text=True)
    assert "<html" not in waiting and "job-queued" in waiting and "<progress" in waiting
    client.get(f"/insights/{view}", htmx=True)
    assert db.session.scalars(select(Job)).one().state == "queued"  # the same job, not two
    body = client.waited(f"/insights/{view}", htmx=True).get_data(as_text=True)
    assert "<html" not in body and 'id="insight-body"' in body
    kept = client.get(f"/insights/{view}", htmx=True).get_data(as_text=True)
    assert 'id="insight-body"' in kept  # the kept result, at once
    whole = client.get(f"/insights/{view}?now=1").get_data(as_text=True)
    assert "<html" in whole and 'id="insight-body"' in whole and "<progress" not in whole


def test_without_javascript_a_page_waiting_for_its_job_offers_a_refresh(client, world):
    client.login("sam")
    page = client.get("/insights/graph?now=1").get_data(as_text=True)
    assert "<html" in page and "job-queued" in page and "Refresh to see how far it is" in page
    done = client.waited("/insights/graph?now=1").get_data(as_text=True)
    assert "<html" in done and 'id="insight-body"' in done


def test_someone_else_cannot_follow_or_cancel_my_analysis(client, other_client, world):
    client.login("sam")
    client.get("/insights/correlations", htmx=True)
    job = db.session.scalars(select(Job)).one()
    other_client.login("lee")
    assert other_client.get(f"/insights/correlations?job={job.id}", htmx=True).status_code == 403
    assert other_client.post(f"/jobs/{job.id}/cancel").status_code == 403
    assert other_client.get(f"/jobs/{job.id}").status_code == 403
    assert client.get(f"/jobs/{job.id}").status_code == 200
    assert client.get("/insights/correlations?job=99999999999").status_code == 400


def test_correlations_read_the_pair_and_leave_the_restricted_out(client, other_client, world):
    client.login("sam")
    body = client.waited("/insights/correlations", htmx=True).get_data(as_text=True)
    assert "#tunnel is written with #vpn_drop in 5 notes" in body
    assert "data-sortable" in body and "exfiltration" not in body
    other_client.login("lee")
    theirs = other_client.waited("/insights/correlations", htmx=True).get_data(as_text=True)
    assert "#exfiltration is written with #lateral in 4 notes" in theirs


def test_the_graphs_leave_out_a_person_seen_only_on_a_restricted_incident(
    client, other_client, world
):
    client.login("sam")
    body = client.waited("/insights/graph", htmx=True).get_data(as_text=True)
    assert "Who works with whom" in body and "@noor" in body
    assert "xavi" not in body and "exfiltration" not in body
    other_client.login("lee")
    assert "@xavi" in other_client.waited("/insights/graph", htmx=True).get_data(as_text=True)


def test_an_empty_period_says_so_on_each_page(client, world):
    client.login("sam")
    query = "from=2020-01-01&to=2020-01-31"
    correlations = client.waited(f"/insights/correlations?{query}", htmx=True).get_data(
        as_text=True
    )
    assert "No two tags go together more than chance gives in this period" in correlations
    lead = client.waited(f"/insights/lead-lag?{query}", htmx=True).get_data(as_text=True)
    assert "No tag reliably rises before another in this period." in lead
    graph = client.waited(f"/insights/graph?{query}", htmx=True).get_data(as_text=True)
    assert "No one posted in this period." in graph


@pytest.mark.parametrize(
    "url",
    [
        "/insights/correlations?from=9999-12-31",
        "/insights/graph?from=0001-01-01&to=9999-12-31",
        "/insights/lead-lag?from=2026-13-01",
        "/insights/correlations?from=2026-11-30&to=2026-11-01",
        "/tags/vpn_drop/story?story=forever",
    ],
)
def test_bad_parameters_are_refused_with_a_message(client, world, url):
    client.login("sam")
    response = client.get(url, htmx=True)
    assert response.status_code == 400, url
    assert client.get("/insights/nosuch").status_code == 404


def test_an_admin_accepts_an_alias_suggestion_from_the_story_in_one_click(
    client, other_client, make_user, post
):
    desk = [make_user(name) for name in ("amy", "bob", "cat")]
    make_user("ada", role="admin")
    now = utcnow()
    for day in range(40):  # #pwreset gives way to #password_reset on day 20
        tag = "#pwreset" if day < 20 else "#password_reset"
        post(
            desk[day % 3],
            f"caller needed a reset {tag}",
            occurred_at=now - timedelta(days=40 - day),
        )
    other_client.login("amy")
    story = other_client.get("/tags/password_reset/story", htmx=True).get_data(as_text=True)
    assert "#pwreset</a> looks like an older or rarer name for" in story
    assert "Make #pwreset an alias" not in story  # only admins may
    client.login("ada")
    story = client.get("/tags/password_reset/story", htmx=True).get_data(as_text=True)
    assert "Make #pwreset an alias of #password_reset" in story
    response = client.post("/tags/pwreset/alias", {"target": "password_reset"})
    assert response.status_code == 302
    assert client.get("/tags/pwreset").status_code == 302  # leads to #password_reset now
    assert other_client.post("/tags/bob/alias", {"target": "password_reset"}).status_code in (
        403,
        404,
    )
