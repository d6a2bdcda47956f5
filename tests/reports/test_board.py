"""The insight board and interview requests over HTTP: promote a report's pattern, move
it (buttons, keyboard steps, status form), watchers told, exports, whether it holds;
restricted evidence only for those who may see it; interview requests by pseudonym."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import select

from app import accounts, board, incidents, queue
from app.extensions import db
from app.models import Incident, Insight, InterviewRequest, Note, Notification, User
from tests.reports.test_reports import build


@pytest.fixture
def people(make_user):
    return {
        "rui": make_user("rui", role="researcher"),
        "dina": make_user("dina", role="designer"),
        "rita": make_user("rita", role="researcher"),
    }


def report(client) -> tuple[int, dict]:
    job_id = build(client)
    queue.drain(client.http.application)
    document = json.loads(client.get(f"/reports/{job_id}/download/json").get_data())
    return job_id, document


def promote(client, job_id: int, key: str, title: str = "VPN drops come with tunnels") -> int:
    response = client.post("/insights/board/promote", {"job": job_id, "key": key, "title": title})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_a_pattern_is_promoted_moved_and_its_watchers_told(client, other_client, world, people):
    client.login("rui")
    job_id, _ = report(client)
    page = client.get(f"/reports/{job_id}").get_data(as_text=True)
    assert "Promote to the insight board" in page
    insight_id = promote(client, job_id, "pair:tunnel+vpn_drop")
    shown = client.get(f"/insights/board/{insight_id}").get_data(as_text=True)
    assert "#tunnel is written with #vpn_drop in 5 notes" in shown
    assert "<blockquote>tunnel dropped #vpn_drop #tunnel</blockquote>" in shown
    other_client.login("dina")
    other_client.post(f"/insights/board/{insight_id}/watch", {"on": "1"})
    muted = people["rita"]
    accounts.set_preferences(muted, muted=["insight_status"])  # watches, hears nothing
    board.watch(muted, insight_id, True)
    moved = client.post(f"/insights/board/{insight_id}/move", {"step": "1"}, htmx=True)
    assert moved.status_code == 200 and 'id="board"' in moved.get_data(as_text=True)
    assert db.session.get(Insight, insight_id, populate_existing=True).status == "investigating"
    told = db.session.scalars(select(Notification).where(Notification.kind == "insight_status"))
    dina = people["dina"].id
    assert [(n.user_id, n.detail) for n in told] == [(dina, "New → Investigating")]
    refused = client.post(f"/insights/board/{insight_id}/move", {"status": "rejected"})
    assert refused.status_code == 400 and "The reason is empty" in refused.get_data(as_text=True)
    client.post(f"/insights/board/{insight_id}/move", {"status": "rejected", "reason": "known"})
    assert db.session.get(Insight, insight_id, populate_existing=True).reject_reason == "known"
    assert client.post(f"/insights/board/{insight_id}/move", {"step": "1"}).status_code == 400
    client.post(f"/insights/board/{insight_id}/comment", {"body": "<b>seen</b> it too"})
    assert "&lt;b&gt;seen&lt;/b&gt; it too" in client.get(f"/insights/board/{insight_id}").get_data(
        as_text=True
    )


def test_the_board_says_whether_a_pattern_still_holds_and_exports_a_backlog(client, world, people):
    client.login("rui")
    job_id, _ = report(client)
    promote(client, job_id, "pair:tunnel+vpn_drop", title="=HYPERLINK(1) tunnels")
    board = client.get("/insights/board").get_data(as_text=True)
    assert "checking" in board and 'hx-trigger="load delay:2s"' in board
    queue.drain(client.http.application)
    board = client.get("/insights/board").get_data(as_text=True)
    assert "holds in the last 30 days" in board and "checking" not in board
    markdown = client.get("/insights/board.md")
    assert markdown.mimetype == "text/markdown" and "## New (1)" in markdown.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(client.get("/insights/board.csv").get_data(as_text=True))))
    assert rows[1][1] == "new" and rows[1][2] == "'=HYPERLINK(1) tunnels"
    assert client.get("/insights/board.exe").status_code == 404


def test_an_insight_from_restricted_data_shows_only_to_who_may_see_it(
    client, other_client, world, people
):
    secret = db.session.scalars(select(Incident).where(Incident.restricted)).one()
    incidents.add_member(world["lee"], secret, people["rita"])
    other_client.login("rita")
    job_id, document = report(other_client)
    key = next(p["key"] for p in document["patterns"] if "exfiltration" in p["key"])
    insight_id = promote(other_client, job_id, key, title="Lateral movement")
    assert "Lateral movement" in other_client.get("/insights/board").get_data(as_text=True)
    client.login("rui")
    assert "Lateral movement" not in client.get("/insights/board").get_data(as_text=True)
    assert client.get(f"/insights/board/{insight_id}").status_code == 404
    assert "Lateral" not in client.get("/insights/board.md").get_data(as_text=True)
    assert client.post(f"/insights/board/{insight_id}/move", {"step": "1"}).status_code == 404
    assert client.post("/insights/board/promote", {"job": job_id, "key": key}).status_code == 403


def test_responders_read_the_board_but_do_not_change_it(client, world, people):
    client.login("sam")
    assert client.get("/insights/board").status_code == 200
    assert client.post("/insights/board/promote", {"job": 1, "key": "x"}).status_code == 403
    assert client.get("/insights/board/99999999999").status_code == 404


def test_interview_requests_go_by_pseudonym_and_a_name_is_told_only_on_yes(
    client, other_client, world, people
):
    client.login("rui")
    job_id, document = report(client)
    pattern = next(p for p in document["patterns"] if p["key"] == "pair:tunnel+vpn_drop")
    chosen = pattern["follow_up"][:2]
    assert all(re.fullmatch(r"P-\d\d", name) for name in chosen)
    refused = client.post(
        f"/reports/{job_id}/interviews", {"key": pattern["key"], "person": "sam", "question": "?"}
    )
    assert refused.status_code == 400 and "Choose people" in refused.get_data(as_text=True)
    sent = client.post(
        f"/reports/{job_id}/interviews",
        {"key": pattern["key"], "person": chosen, "question": "What did users say?"},
    )
    assert sent.status_code == 303
    requests = db.session.scalars(select(InterviewRequest).order_by(InterviewRequest.id)).all()
    assert len(requests) == 2
    first, second = (r.person.username for r in requests)
    listing = client.get("/interviews").get_data(as_text=True)
    assert chosen[0] in listing and first not in listing and second not in listing
    other_client.login(first)
    inbox = other_client.get("/interviews").get_data(as_text=True)
    assert "What did users say?" in inbox and "Why you:" in inbox
    other_client.post(f"/interviews/{requests[0].id}", {"answer": "yes"})
    again = other_client.post(f"/interviews/{requests[0].id}", {"answer": "no"})
    assert again.status_code == 409
    assert other_client.post(f"/interviews/{requests[1].id}", {"answer": "yes"}).status_code == 404
    listing = client.get("/interviews").get_data(as_text=True)
    assert first in listing and "accepted" in listing and second not in listing
    answered = db.session.scalars(
        select(Notification).where(Notification.kind == "interview_answer")
    ).one()
    assert answered.user_id == people["rui"].id and answered.actor_id is None
    assert db.session.get(User, people["rui"].id).unread_count >= 1


def test_a_set_of_notes_is_promoted_and_restricted_ones_are_refused(
    client, other_client, world, people
):
    notes = db.session.scalars(select(Note).order_by(Note.id)).all()
    public = [n.id for n in notes if n.incident_id is None][:2]
    secret = next(n.id for n in notes if "exfiltration" in n.text)
    client.login("dina")
    thread = client.get(f"/notes/{public[0]}").get_data(as_text=True)
    assert "Promote this note to the insight board" in thread
    promoted = client.post(
        "/insights/board/promote-notes", {"note": public, "title": "DNS keeps coming up"}
    )
    assert promoted.status_code == 303
    insight = db.session.scalars(select(Insight)).one()
    assert insight.kind == "notes" and insight.pattern["tags"] == ["dns"]
    page = client.get(promoted.headers["Location"]).get_data(as_text=True)
    assert "checked dns 0 #dns" in page
    refused = client.post(
        "/insights/board/promote-notes", {"note": [public[0], secret], "title": "peek"}
    )
    assert refused.status_code == 404
    assert client.post("/insights/board/promote-notes", {"title": "none"}).status_code == 400
    assert (
        client.post("/insights/board/promote-notes", {"note": "9" * 30, "title": "x"}).status_code
        == 400
    )
    other_client.login("sam")
    assert (
        other_client.post(
            "/insights/board/promote-notes", {"note": public, "title": "x"}
        ).status_code
        == 403
    )
