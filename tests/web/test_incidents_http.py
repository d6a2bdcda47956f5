"""Incident pages over HTTP: register, list, timeline, status moves, hand-over, restricted."""

from __future__ import annotations

import pytest

from app import incidents
from app.extensions import db
from app.models import Incident


@pytest.fixture
def sam(client, make_user):
    user = make_user("sam")
    client.login("sam")
    return user


def test_register_then_see_it_listed_and_open_its_timeline(client, sam):
    response = client.post(
        "/incidents/new",
        {"title": "Patient records slow", "impact": "1", "urgency": "2", "service": "EPR"},
    )
    assert response.status_code == 302 and response.location.endswith("/incidents/INC0000001")
    listing = client.get("/incidents").get_data(as_text=True)
    assert "INC0000001" in listing and "Patient records slow" in listing and "P2" in listing
    page = client.get("/incidents/INC0000001").get_data(as_text=True)
    assert "registered INC0000001" in page and "Respond by" in page


def test_notes_post_into_the_timeline_and_references_link_to_it(client, sam):
    incident = incidents.register(sam, title="VPN flaps")
    client.post(f"/incidents/{incident.number}/notes", {"text": "tunnel resets at :05 #vpn"})
    client.post("/notes", {"text": f"same as {incident.number}?"})
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert "tunnel resets at :05" in page and "same as" in page
    home = client.get("/").get_data(as_text=True)
    assert f'href="/incidents/{incident.number}" class="incident-ref"' in home


def test_status_moves_over_http_and_illegal_ones_are_refused(client, sam):
    incident = incidents.register(sam, title="Mail queue stuck")
    number = incident.number
    assert (
        client.post(
            f"/incidents/{number}/status",
            {
                "status": "resolved",
                "resolution_code": "Solved (Permanently)",
                "resolution_notes": "x",
            },
        ).status_code
        == 400
    )
    assert client.post(f"/incidents/{number}/status", {"status": "in_progress"}).status_code == 302
    response = client.post(f"/incidents/{number}/status", {"status": "on_hold"}, htmx=True)
    assert response.status_code == 400 and "on hold" in response.get_data(as_text=True)
    client.post(
        f"/incidents/{number}/status",
        {
            "status": "resolved",
            "resolution_code": "Solved (Permanently)",
            "resolution_notes": "flushed queue",
        },
    )
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).status == "resolved"
    page = client.get(f"/incidents/{number}").get_data(as_text=True)
    assert (
        "changed <strong>status</strong> from <bdi>in progress</bdi> to <bdi>resolved</bdi>" in page
    )


def test_hand_over_to_a_colleague(client, sam, make_user):
    make_user("lee")
    incident = incidents.register(sam, title="Printer queue")
    client.post(f"/incidents/{incident.number}/owner", {"owner": "@lee"})
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).owner.username == "lee"


def test_restricted_incident_is_404_for_non_members_and_hidden_from_the_list(
    client, sam, make_user, other_client
):
    secret = incidents.register(sam, title="Credential phishing", restricted=True)
    make_user("lee")
    other_client.login("lee")
    assert other_client.get(f"/incidents/{secret.number}").status_code == 404
    assert secret.number not in other_client.get("/incidents").get_data(as_text=True)
    assert secret.number in client.get("/incidents").get_data(as_text=True)


def test_designers_cannot_register_incidents(client, make_user):
    make_user("dina", role="designer")
    client.login("dina")
    response = client.post("/incidents/new", {"title": "x", "impact": "3", "urgency": "3"})
    assert response.status_code == 403
    assert db.session.query(Incident).count() == 0


def test_metrics_major_board_and_sla_at_risk(client, sam, make_user):
    from datetime import timedelta

    from app.models import utcnow

    maria = make_user("maria", role="manager")
    urgent = incidents.register(sam, title="EPR down", impact=1, urgency=1)
    calm = incidents.register(sam, title="Printer toner", impact=3, urgency=3)
    incidents.move(sam, calm, "in_progress")
    urgent.registered_at = utcnow() - timedelta(hours=3, minutes=30)  # P1: 4 h to resolve
    db.session.commit()
    incidents.set_major(sam, urgent, True, manager=maria)
    board = client.get("/incidents/major").get_data(as_text=True)
    assert "EPR down" in board and "Printer toner" not in board and "@maria" in board
    risky = client.get("/incidents?risk=yes").get_data(as_text=True)
    assert "EPR down" in risky and "Printer toner" not in risky
    page = client.get("/incidents/metrics?by=priority").get_data(as_text=True)
    assert "<td>P1</td><td>1</td>" in page and "<td>P5</td><td>1</td>" in page
    assert client.get("/incidents/metrics?from=soon").status_code == 400
