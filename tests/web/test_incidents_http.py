"""Incident pages over HTTP: register, list, timeline, status moves, hand-over, restricted."""

from __future__ import annotations

import re

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


def test_a_restricted_incident_leaves_no_trace_in_any_view_an_outsider_opens(
    client, sam, make_user, other_client, post
):
    """Tag page (count, first use, spellings), autocomplete, person and thread pages, the
    feeds' new-note counts, notifications, the incident views: nothing of the secret."""
    from datetime import timedelta

    from app.feeds import Cursor
    from app.models import utcnow

    lee = make_user("lee")
    other_client.login("lee")
    start = utcnow() - timedelta(minutes=10)
    secret = incidents.register(sam, title="Payroll phishing", restricted=True, impact=1)
    incidents.set_major(sam, secret, True)
    public = post(sam, "generic advice on mail #Phish", posted_at=start)
    cursor = str(Cursor.of(public))
    hidden = post(sam, "creds leaked #PHISHING_kit #phish @lee", incident=secret)
    reply = post(sam, f"see {secret.number} #phish", reply_to=public)  # joins the secret one
    assert reply.incident_id == secret.id
    post(sam, "#phishing_kit now in public advice too")

    tag_page = other_client.get("/tags/phish").get_data(as_text=True)
    assert "<dd>1</dd>" in tag_page and "#PHISH" not in tag_page
    kit_page = other_client.get("/tags/phishing_kit").get_data(as_text=True)
    assert f"/notes/{hidden.id}" not in kit_page and "#PHISHING_kit" not in kit_page
    suggested = other_client.get("/complete/tags?q=phish").get_json()
    assert {(t["label"], t["hint"]) for t in suggested} == {
        ("#Phish", "1 note"),
        ("#phishing_kit", "1 note"),
    }
    post(sam, "#zeroday in the payroll mails", incident=secret)
    assert other_client.get("/tags/zeroday").status_code == 404
    assert client.get("/tags/zeroday").status_code == 200
    for url in ("/all", "/u/sam", f"/notes/{public.id}", "/tags/phish", "/search?q=creds"):
        page = other_client.get(url).get_data(as_text=True)
        assert "creds leaked" not in page and secret.number not in page, url
    thread = other_client.get(f"/notes/{public.id}").get_data(as_text=True)
    assert "Reply · 1" not in thread and "1 reply" not in thread
    assert other_client.get(f"/notes/{hidden.id}").status_code == 404
    assert other_client.get(f"/notes/{reply.id}").status_code == 404
    newer = other_client.get(f"/all?poll=1&after={cursor}").get_data(as_text=True)
    assert "new note" in newer and "2 new notes" not in newer  # only the public one after
    assert other_client.get("/notifications").get_data(as_text=True).count("mentioned") == 0
    for url in ("/incidents", "/incidents/major", "/incidents?status=all&risk=yes"):
        assert secret.number not in other_client.get(url).get_data(as_text=True), url
    row = f"<td>P{secret.priority}</td><td>1</td>"  # MTTA/MTTR: one incident of its priority
    assert row not in other_client.get("/incidents/metrics?by=priority").get_data(as_text=True)
    assert row in client.get("/incidents/metrics?by=priority").get_data(as_text=True)
    # a member sees it all
    assert "creds leaked" in client.get("/tags/phish").get_data(as_text=True)
    db.session.refresh(lee)
    assert lee.unread_count == 0


def test_the_composer_previews_quick_actions_and_a_refused_one_posts_nothing(client, sam):
    from app.models import Note

    incident = incidents.register(sam, title="Badge readers offline")
    number = incident.number
    preview = client.get(f"/incidents/{number}/preview?text=%2Fpriority+1+1", htmx=True)
    assert preview.status_code == 200 and "Set impact 1, urgency 1: P1" in preview.get_data(
        as_text=True
    )
    refused = client.get(f"/incidents/{number}/preview?text=%2Fstatus+resolved", htmx=True)
    assert "Resolution notes" in refused.get_data(as_text=True)
    response = client.post(f"/incidents/{number}/notes", {"text": "/status resolved"}, htmx=True)
    assert response.status_code == 400 and "Resolution notes" in response.get_data(as_text=True)
    assert db.session.query(Note).count() == 0
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).status == "new"
    posted = client.post(f"/incidents/{number}/notes", {"text": "readers rebooted\n/priority 1 1"})
    assert posted.status_code in (201, 302)
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).priority == 1
    page = client.get(f"/incidents/{number}").get_data(as_text=True)
    assert "readers rebooted" in page and "<strong>priority</strong>" in page


def test_every_way_of_working_an_incident_over_http_leaves_an_event(client, sam, make_user):
    from app.models import Follow

    make_user("maria", role="manager")
    parent = incidents.register(sam, title="Floor 3 Wi-Fi down")
    child = incidents.register(sam, title="Laptop offline")
    number = child.number
    steps = [
        ("acknowledge", {}),
        ("priority", {"impact": "1", "urgency": "2"}),
        ("workaround", {"workaround": "use the wired desks"}),
        ("parent", {"parent": parent.number}),
        ("major", {"major": "yes", "manager": "@maria"}),
        ("follow", {"action": "follow"}),
        ("status", {"status": "cancelled"}),
    ]
    for path, form in steps:
        response = client.post(f"/incidents/{number}/{path}", form)
        assert response.status_code == 302, (path, response.get_data(as_text=True)[:300])
    db.session.expire_all()
    child = db.session.get(Incident, child.id)
    assert child.acknowledged_at is not None and (child.impact, child.urgency) == (1, 2)
    assert child.workaround == "use the wired desks" and child.parent_id == parent.id
    assert child.major and child.major_manager.username == "maria" and child.status == "cancelled"
    assert db.session.query(Follow).filter_by(target_type="incident", target_id=child.id).count()
    fields = {e.field for e in incidents.events(child)}
    assert {"priority", "workaround", "parent", "major", "major_manager", "status"} <= fields
    page = client.get(f"/incidents/{number}").get_data(as_text=True)
    assert "use the wired desks" in page and "@maria" in page
    # refused with a reason, nothing changed
    bad = [
        ("priority", {"impact": "7", "urgency": "1"}, "impact and urgency"),
        ("workaround", {"workaround": "  "}, "Describe the workaround"),
        ("parent", {"parent": "INC0999999"}, "no incident INC0999999"),
        ("status", {"status": "in_progress"}, "cancelled"),
    ]
    for path, form, reason in bad:
        response = client.post(
            f"/incidents/{parent.number if path != 'status' else number}/{path}", form, htmx=True
        )
        assert response.status_code in (400, 404) and reason in response.get_data(as_text=True), (
            path
        )
    closing = incidents.register(sam, title="Toner low")
    incidents.move(sam, closing, "in_progress")
    incidents.move(
        sam, closing, "resolved", resolution_code="Solved (Permanently)", resolution_notes="x"
    )
    assert (
        client.post(f"/incidents/{closing.number}/status", {"status": "closed"}).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(Incident, closing.id).status == "closed"


def test_the_incident_list_filters_and_sorts(client, sam, make_user):
    lee = make_user("lee")
    p1 = incidents.register(sam, title="EPR down", impact=1, urgency=1, service="EPR")
    p4 = incidents.register(lee, title="Toner low", impact=3, urgency=2, service="Printing")
    major = incidents.register(sam, title="Mail out", impact=2, urgency=2, service="Mail")
    incidents.set_major(sam, major, True)
    done = incidents.register(sam, title="Old VPN thing", impact=2, urgency=3)
    incidents.move(sam, done, "cancelled")

    def listed(query: str) -> list[str]:
        """The titles the list shows, in its order."""
        page = client.get(f"/incidents?{query}").get_data(as_text=True)
        titles = ("EPR down", "Toner low", "Mail out", "Old VPN thing")
        return sorted((t for t in titles if t in page), key=page.index)

    assert listed("") == ["EPR down", "Mail out", "Toner low"]  # open ones, most urgent first
    assert listed("sort=newest") == ["Mail out", "Toner low", "EPR down"]
    assert listed("sort=oldest") == ["EPR down", "Toner low", "Mail out"]
    assert listed("status=cancelled") == ["Old VPN thing"]
    assert listed("status=all") == ["EPR down", "Mail out", "Old VPN thing", "Toner low"]
    assert listed(f"priority={p4.priority}") == ["Toner low"]
    assert listed("service=EPR") == ["EPR down"]
    assert listed("major=yes") == ["Mail out"]
    assert listed("mine=yes") == ["EPR down", "Mail out"]
    assert p1.priority == 1


def test_the_sla_clocks_read_as_time_left_or_breached(client, sam):
    from datetime import timedelta

    from app.models import utcnow

    incident = incidents.register(sam, title="EPR slow", impact=1, urgency=1)  # P1: 15 min, 4 h
    incident.registered_at = utcnow() - timedelta(minutes=45)
    db.session.commit()

    def state_line() -> str:
        page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
        return page.split('id="incident-state"')[1].split("</ul>")[0]

    state = state_line()
    assert re.search(r'class="sla-badge sla-breached"[^>]*>Breached · respond 30 min late<', state)
    assert re.search(r'class="sla-badge sla-on_track"[^>]*>Resolve in 3 h 1[45] min<', state)
    incidents.acknowledge(sam, incident)
    assert re.search(r'class="sla-badge sla-missed"[^>]*>Respond missed<', state_line())


def test_the_timeline_interleaves_notes_and_changes_by_when_they_happened(client, sam, post):
    from datetime import timedelta

    from app.models import utcnow

    incident = incidents.register(sam, title="Badge readers")
    incident.registered_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    incidents.move(sam, incident, "in_progress")  # now
    post(
        sam,
        "readers dark since 07:40",
        incident=incident,
        occurred_at=utcnow() - timedelta(hours=1),
    )
    post(sam, "power supply swapped", incident=incident)

    def order() -> list[int]:
        page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
        timeline = page[page.index('id="incident-timeline"') :]
        assert re.search(r'<a href="/u/sam">@sam</a>\s+changed <strong>status</strong>', timeline)
        return [
            timeline.index(text)
            for text in (
                "readers dark since 07:40",  # happened an hour ago, posted now
                "changed <strong>status</strong>",
                "power supply swapped",
            )
        ]

    assert order() == sorted(order(), reverse=True)  # newest first unless one asks otherwise
    here = f"/incidents/{incident.number}"
    response = client.post("/settings/timeline-order", {"order": "oldest", "next": here})
    assert response.headers["Location"] == here
    assert order() == sorted(order())
    assert client.post("/settings/timeline-order", {"order": "sideways"}).status_code == 400


def test_the_register_form_keeps_every_field_and_refuses_bad_ones(client, sam, make_user):
    make_user("lee")
    form = {
        "title": "Lab results late",
        "description": "HL7 feed stalls <script>alert(1)</script>",
        "service": "Lab Results",
        "category": "Software",
        "subcategory": "Interface",
        "impact": "2",
        "urgency": "1",
        "assignment_group": "clinical-apps",
        "owner": "@lee",
        "restricted": "y",
    }
    assert client.post("/incidents/new", form).status_code == 302
    incident = db.session.query(Incident).one()
    assert (incident.category, incident.subcategory, incident.assignment_group) == (
        "Software",
        "Interface",
        "clinical-apps",
    )
    assert incident.owner.username == "lee" and incident.restricted and incident.priority == 2
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    for bad, reason in [
        ({"title": ""}, "title"),
        ({"impact": "7"}, "mpact"),
        ({"owner": "@nobody"}, "nobody"),
        ({"title": "x" * 201}, "title"),
    ]:
        response = client.post("/incidents/new", form | bad, htmx=True)
        assert response.status_code in (400, 404), bad
        assert reason in response.get_data(as_text=True).lower(), bad
    assert db.session.query(Incident).count() == 1
