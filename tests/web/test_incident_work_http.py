"""Incident models, checklists, the team, children and followed services over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import incidents
from app.extensions import db
from app.models import Incident, IncidentModel, utcnow


@pytest.fixture
def ada(client, make_user):
    user = make_user("ada", role="admin")
    client.login("ada")
    return user


@pytest.fixture
def sam(make_user):
    return make_user("sam")


MODEL = {
    "name": "VPN outage",
    "service": "VPN",
    "category": "Network",
    "impact": "2",
    "urgency": "1",
    "checklist": "Check the concentrator\nPost a status update",
    "default_tags": "#vpn #remote",
}


def test_an_admin_adds_a_model_and_a_responder_registers_from_it(client, ada, sam):
    assert client.get("/admin/models").status_code == 200
    response = client.post("/admin/models", MODEL)
    assert response.status_code == 302
    model = db.session.query(IncidentModel).one()
    listing = client.get("/admin/models").get_data(as_text=True)
    assert "VPN outage" in listing and "2 steps" in listing
    client.login("sam")
    form = client.get(f"/incidents/new?model={model.id}").get_data(as_text=True)
    assert 'value="VPN"' in form and "From the model" in form
    response = client.post(
        "/incidents/new",
        {
            "title": "Tunnel flaps",
            "impact": "2",
            "urgency": "1",
            "service": "VPN",
            "model": model.id,
        },
    )
    number = response.location.rsplit("/", 1)[1]
    page = client.get(f"/incidents/{number}").get_data(as_text=True)
    assert "Check the concentrator" in page and "0 of 2 done" in page
    assert ">#vpn #remote </textarea>" in page  # the composer starts with the default tags


def test_models_are_for_admins_and_bad_input_changes_nothing(client, ada, make_user):
    response = client.post("/admin/models", MODEL | {"default_tags": "#db-slow"})
    assert response.status_code == 400 and "is not a hashtag" in response.get_data(as_text=True)
    make_user("sam")
    client.login("sam")
    assert client.get("/admin/models").status_code == 403
    assert client.post("/admin/models", MODEL).status_code == 403
    assert db.session.query(IncidentModel).count() == 0


def test_tick_a_checklist_step_and_manage_the_team(client, ada, sam, make_user):
    make_user("kim")
    model = incidents.save_incident_model(ada, name="Mail", checklist="Drain the queue")
    incident = incidents.register(ada, title="Mail stuck", model=model)
    number = incident.number
    step = incidents.checklist(incident)[0]
    client.post(f"/incidents/{number}/checklist/{step.id}", {"done": "yes"})
    page = client.get(f"/incidents/{number}").get_data(as_text=True)
    assert "1 of 1 done" in page and "ticked the checklist" in page
    client.post(f"/incidents/{number}/team", {"username": "@kim", "role": "scribe"})
    page = client.get(f"/incidents/{number}").get_data(as_text=True)
    assert "@kim (scribe)" in page
    response = client.post(f"/incidents/{number}/team", {"username": "kim", "role": "boss"})
    assert response.status_code == 400
    client.post(f"/incidents/{number}/team/kim/remove")
    page = client.get(f"/incidents/{number}").get_data(as_text=True)
    assert "took <bdi>@kim (scribe)</bdi> off the team" in page
    response = client.post(f"/incidents/{number}/team/ada/remove")
    assert response.status_code == 400 and "hand it over first" in response.get_data(as_text=True)


def test_a_resolved_parent_offers_to_resolve_its_open_children(client, ada):
    parent = incidents.register(ada, title="Mail is down")
    children = [incidents.register(ada, title=f"report {i}") for i in range(2)]
    for child in children:
        incidents.link_parent(ada, child, parent)
    incidents.move(ada, parent, "in_progress")
    incidents.move(
        ada, parent, "resolved", resolution_code="Solved (Permanently)", resolution_notes="relay"
    )
    page = client.get(f"/incidents/{parent.number}").get_data(as_text=True)
    assert "2 child incidents are still open" in page
    client.post(f"/incidents/{parent.number}/children/resolve")
    statuses = {db.session.get(Incident, c.id).status for c in children}
    assert statuses == {"resolved"}
    page = client.get(f"/incidents/{parent.number}").get_data(as_text=True)
    assert "still open" not in page


def test_follow_a_service_from_the_list_and_see_its_changes_at_home(client, ada, sam):
    response = client.post(
        "/incidents/services/follow", {"service": "Mail", "next": "/incidents?service=Mail"}
    )
    assert response.status_code == 302 and response.location.endswith("/incidents?service=Mail")
    listing = client.get("/incidents?service=Mail").get_data(as_text=True)
    assert "Following <bdi>Mail</bdi>" in listing
    incident = incidents.register(sam, title="Queue stuck", service="Mail")
    incidents.move(sam, incident, "in_progress")
    home = client.get("/").get_data(as_text=True)
    assert f"Change to {incident.number}" in home and "<bdi>in progress</bdi>" in home
    away = client.post(
        "/incidents/services/follow", {"service": "x", "next": "https://evil.example/"}
    )
    assert away.location.endswith("/incidents")


def test_an_sla_warning_reads_well_in_the_inbox(client, ada, sam):
    incident = incidents.register(ada, title="EPR down", impact=1, urgency=1)
    incident.registered_at = utcnow() - timedelta(minutes=13)
    db.session.commit()
    incidents.warn_sla()
    page = client.get("/notifications").get_data(as_text=True)
    assert incident.number in page and "about to miss its respond-by time" in page
    assert 'class="badge"' in client.get("/").get_data(as_text=True)
