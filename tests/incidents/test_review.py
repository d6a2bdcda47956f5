"""The post-incident review of a major incident over HTTP: drafted from the timeline,
milestones on its notes, actions with owners, signed off by a manager (which sets
`reviewed_at`), exported, promoted to the board; nothing for who may not see it."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import select

from app import incidents
from app.extensions import db
from app.models import Incident, IncidentEvent, Insight, Note


@pytest.fixture
def outage(make_user, post):
    sam, lee = make_user("sam"), make_user("lee")
    make_user("maria", role="manager")
    make_user("dina", role="designer")
    incident = incidents.register(sam, title="Patient records down", service="EHR", impact=1,
                                  urgency=1)  # fmt: skip
    post(sam, "records timing out for every user #ehr_down", incident=incident)
    post(lee, "clinicians say the login loops #ehr_down #login", incident=incident)
    post(sam, "restarted the pool, fixed", incident=incident)
    incidents.move(sam, incident, "in_progress")
    incidents.move(sam, incident, "resolved", resolution_code="Solved (Permanently)",
                   resolution_notes="Connection pool exhausted.")  # fmt: skip
    return incident


def test_a_review_is_drafted_marked_signed_off_and_exported(client, other_client, outage, tmp_path):
    client.login("sam")
    incident_page = client.get(f"/incidents/{outage.number}").get_data(as_text=True)
    assert f'href="/incidents/{outage.number}/review"' in incident_page
    page = client.get(f"/incidents/{outage.number}/review").get_data(as_text=True)
    assert "Draft the review" in page
    client.post(f"/incidents/{outage.number}/review")
    page = client.get(f"/incidents/{outage.number}/review").get_data(as_text=True)
    assert "Connection pool exhausted." in page and "resolve-by met" in page
    assert "sam: records timing out for every user #ehr_down" in page  # notes about users
    assert "lee: clinicians say the login loops" in page
    notes = db.session.scalars(select(Note).order_by(Note.id)).all()
    saved = client.post(
        f"/incidents/{outage.number}/review/save",
        {
            "summary": "Pool exhausted.",
            "impact": "All wards.",
            "users_noticed": "Login loops.",
            "detection": notes[0].id,
            "diagnosis": notes[1].id,
            "repair": notes[2].id,
        },  # fmt: skip
    )
    assert saved.status_code == 303
    client.post(
        f"/incidents/{outage.number}/review/actions", {"text": "Alert on pool", "owner": "@lee"}
    )
    page = client.get(f"/incidents/{outage.number}/review").get_data(as_text=True)
    assert "<strong>Repair</strong>" in page and "restarted the pool, fixed" in page
    assert "Alert on pool — lee" in page
    refused = client.post(f"/incidents/{outage.number}/review/sign-off")
    assert refused.status_code == 403  # a responder does not sign off
    other_client.login("maria")
    other_client.post(f"/incidents/{outage.number}/review/sign-off")
    incident = db.session.get(Incident, outage.id, populate_existing=True)
    assert incident.reviewed_at is not None
    assert db.session.scalars(
        select(IncidentEvent).where(IncidentEvent.field == "reviewed_at")
    ).one()
    late = client.post(f"/incidents/{outage.number}/review/save", {"summary": "changed"})
    assert late.status_code == 409
    pdf = client.get(f"/incidents/{outage.number}/review/export.pdf")
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF")
    (tmp_path / "r.pdf").write_bytes(pdf.get_data())
    subprocess.run(["pdftoppm", "-png", "-r", "30", "-l", "1", str(tmp_path / "r.pdf"),
                    str(tmp_path / "p")], check=True)  # fmt: skip
    assert list(tmp_path.glob("p*.png"))
    html = client.get(f"/incidents/{outage.number}/review/export.html").get_data(as_text=True)
    assert "Signed off by maria" in html and "<script" not in html
    data = client.get(f"/incidents/{outage.number}/review/export.json").get_json()
    assert data["signed_off_by"] == "maria" and data["milestones"][2]["kind"] == "repair"
    assert data["actions"] == [{"text": "Alert on pool", "owner": "lee", "done": None}]


def test_review_findings_are_promoted_to_the_board(client, other_client, outage):
    client.login("sam")
    client.post(f"/incidents/{outage.number}/review")
    other_client.login("dina")
    promoted = other_client.post(f"/incidents/{outage.number}/review/promote")
    assert promoted.status_code == 303
    insight = db.session.scalars(select(Insight)).one()
    assert insight.kind == "review" and "ehr_down" in insight.pattern["tags"]
    board = other_client.get("/insights/board").get_data(as_text=True)
    assert "From the review of" in board and "a finding of a post-incident review" in board


def test_a_review_needs_a_major_resolved_incident_and_its_sight(client, make_user, post, outage):
    sam = db.session.scalars(select(Incident.owner_id)).first()
    minor = incidents.register(db.session.get(type(outage.owner), sam), title="Printer",
                               impact=3, urgency=3)  # fmt: skip
    client.login("sam")
    assert client.post(f"/incidents/{minor.number}/review").status_code == 400
    secret = incidents.register(outage.owner, title="Breach", impact=1, urgency=1,
                                restricted=True)  # fmt: skip
    make_user("kim")
    client.login("kim")
    assert client.get(f"/incidents/{secret.number}/review").status_code == 404
    assert client.post(f"/incidents/{secret.number}/review").status_code == 404
    assert client.get(f"/incidents/{outage.number}/review/export.exe").status_code == 404
