"""The incident page as a working surface, over HTTP: actions open their form under the
header (a page without JavaScript, a partial for htmx); status, priority and SLA read as
badges with words, the SLA at risk before it is breached, and breached only while the
incident is open."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app import accounts, incidents
from app.clock import utcnow
from app.extensions import db


@pytest.fixture
def sam(client, make_user):
    user = make_user("sam")
    client.login("sam")
    return user


def started(sam, **fields):
    incident = incidents.register(sam, title=fields.pop("title", "EPR slow"), **fields)
    incidents.acknowledge(sam, incident)
    return incident


def test_an_action_opens_its_form_in_the_page_without_javascript(client, sam):
    incident = started(sam)
    page = client.get(f"/incidents/{incident.number}?act=hold").get_data(as_text=True)
    panel = page.split('id="action-panel"')[1]
    assert 'id="hold-reason"' in panel and "autofocus" in panel
    assert page.index('id="action-panel"') < page.index('id="note-text-incident"')
    assert 'id="hold-reason"' not in client.get(f"/incidents/{incident.number}").get_data(
        as_text=True
    )


def test_an_action_asked_by_htmx_comes_alone(client, sam):
    incident = started(sam)
    response = client.get(f"/incidents/{incident.number}?act=handover", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="new-owner"' in body
    assert "<html" not in body and "incident-timeline" not in body
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("act", ["bogus", "x" * 5000, "resolve%00"])
def test_an_unknown_action_is_refused(client, sam, act):
    incident = started(sam)
    assert client.get(f"/incidents/{incident.number}?act={act}").status_code == 400


def test_an_action_that_does_not_fit_the_status_is_refused(client, sam):
    incident = started(sam)
    incidents.move(sam, incident, "cancelled")
    assert client.get(f"/incidents/{incident.number}?act=resolve").status_code == 400
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert "More actions" not in page  # nothing left to do with a cancelled incident


def test_the_menu_offers_what_the_status_allows(client, sam):
    incident = started(sam)
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    head = page.split('id="incident-head"')[1]
    menu = head.split("data-menu>")[1].split("</details>")[0]
    assert list(dict.fromkeys(re.findall(r"act=(\w+)", menu))) == [
        "hold",
        "handover",
        "priority",
        "workaround",
        "parent",
        "major",
        "cancel",
    ]
    assert "act=resolve" in page.split('id="incident-head"')[1].split("data-menu")[0]


def state_line(client, incident) -> str:
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    return page.split('id="incident-state"')[1].split("</ul>")[0]


def test_status_and_priority_are_badges_with_words(client, sam):
    incident = started(sam, impact=1, urgency=2)
    state = state_line(client, incident)
    assert re.search(r'class="status-badge status-in_progress">.*In progress</span>', state)
    assert re.search(r'class="prio-badge prio-2"[^>]*>.*P2</span>', state)
    assert "Priority 2 from impact 1 and urgency 2" in state


def test_an_sla_clock_is_at_risk_with_a_quarter_of_its_time_left(client, sam):
    incident = started(sam, impact=1, urgency=1)  # P1: resolve within 4 h
    incident.registered_at = utcnow() - timedelta(hours=3, minutes=10)  # 50 min left
    db.session.commit()
    state = state_line(client, incident)
    badge = re.search(r'<span class="sla-badge sla-at_risk"([^>]*)>([^<]*)<', state)
    assert badge and re.fullmatch(r"At risk · resolve in (49|50) min", badge[2])
    due = incident.registered_at + timedelta(hours=4)
    assert f'data-due="{due.isoformat()}"' in badge[1]  # the page counts down from here
    assert f'data-risk="{(due - timedelta(hours=1)).isoformat()}"' in badge[1]


def test_breached_is_said_only_while_the_incident_is_open(client, sam):
    late = started(sam, title="Late one", impact=1, urgency=1)
    late.registered_at = utcnow() - timedelta(hours=6)
    db.session.commit()
    assert "Breached · resolve 2 h late" in state_line(client, late)
    listing = client.get("/incidents").get_data(as_text=True)
    assert 'sla-breached" data-sla="resolve"' in listing

    incidents.move(
        sam, late, "resolved", resolution_code="Solved (Permanently)", resolution_notes="fixed"
    )
    state = state_line(client, late)
    assert "sla-breached" not in state and "Breached" not in state
    assert re.search(r'class="sla-badge sla-missed"[^>]*>Resolve missed<', state)  # quietly
    on_time = started(sam, title="Quick one", impact=3, urgency=3)
    incidents.move(
        sam, on_time, "resolved", resolution_code="Solved (Permanently)", resolution_notes="ok"
    )
    listing = client.get("/incidents?status=all").get_data(as_text=True)
    assert ">Resolve met<" in listing and ">Resolve missed<" in listing
    assert "sla-breached" not in listing


def test_a_cancelled_incident_has_no_sla(client, sam):
    incident = started(sam, impact=1, urgency=1)
    incident.registered_at = utcnow() - timedelta(hours=6)
    db.session.commit()
    incidents.move(sam, incident, "cancelled")
    assert "sla-badge" not in state_line(client, incident)


def test_the_sla_words_read_the_same_as_the_pages_countdown(ctx):
    from app.web.filters import duration

    spans = {
        timedelta(seconds=5): "5 s",
        timedelta(minutes=12, seconds=59): "12 min",
        timedelta(hours=3): "3 h",
        timedelta(hours=3, minutes=20): "3 h 20 min",
        timedelta(days=2, hours=4, minutes=9): "2 d 4 h",
        timedelta(days=-1, hours=-2): "1 d 2 h",  # late by as much
    }
    assert {span: duration(span) for span in spans} == spans


def test_the_major_board_shows_badges(client, make_user, sam):
    manager = accounts.get_user("sam")
    incident = started(sam, impact=1, urgency=1)
    incidents.set_major(manager, incident, True)
    board = client.get("/incidents/major").get_data(as_text=True)
    assert "status-in_progress" in board and "prio-1" in board and "sla-on_track" in board
