"""Notifications grouped by kind and incident, newest group first, a page of groups at a
time, marked read a group at once or all together; kinds I2I does not know yet read
sensibly; nothing about what the person may no longer see."""

from __future__ import annotations

import re

import pytest

from app import incidents, notifications
from app.extensions import db
from app.models import Notification, User


@pytest.fixture
def people(client, make_user):
    sam, lee = make_user("sam"), make_user("lee")
    client.login("sam")
    return sam, lee


def groups(page: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", h)).strip()
        for h in re.findall(r'<h2 id="group-\d+">(.*?)</h2>', page, re.S)
    ]


def test_mentions_on_one_incident_are_one_group(client, people, post):
    sam, lee = people
    printers = incidents.register(lee, title="Ward printers offline")
    for n in range(5):
        post(lee, f"@sam printer {n} is dark", incident=printers)
    mine = post(sam, "need eyes on the LB")
    post(lee, "looking", reply_to=mine)
    post(lee, "still looking", reply_to=mine)
    page = client.get("/notifications").get_data(as_text=True)
    assert groups(page) == [
        "Replies",
        f"Mentions · {printers.number} Ward printers offline Status: New",
    ]
    mentions = page.split('id="group-2"')[1].split("</li>\n  <li")[0]
    assert mentions.count("mentioned you") == notifications.SHOWN_A_GROUP
    assert "5 in all" in mentions and "5 unread" in mentions and "and 2 more" in mentions
    assert "printer 4 is dark" in mentions and "printer 0" not in mentions  # newest first


def test_a_group_is_marked_read_at_once(client, people, post):
    sam, lee = people
    a = incidents.register(lee, title="A")
    b = incidents.register(lee, title="B")
    for incident in (a, a, b):
        post(lee, "@sam look", incident=incident)
    response = client.post("/notifications/read", {"group": f"mention:{a.id}"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, sam.id).unread_count == 1
    unread = db.session.query(Notification).filter(Notification.read_at.is_(None)).all()
    assert [n.note.incident_id for n in unread] == [b.id]
    client.post("/notifications/read", {"group": "mention:0"})  # no such group: nothing
    assert db.session.get(User, sam.id).unread_count == 1
    client.post("/notifications/read")  # all
    db.session.expire_all()
    assert db.session.get(User, sam.id).unread_count == 0


def test_groups_come_a_page_at_a_time(client, people, post):
    sam, lee = people
    for n in range(notifications.GROUPS_A_PAGE + 5):
        post(lee, "@sam here", incident=incidents.register(lee, title=f"Incident {n}"))
    first = groups(client.get("/notifications").get_data(as_text=True))
    second = groups(client.get("/notifications?page=2").get_data(as_text=True))
    assert len(first) == notifications.GROUPS_A_PAGE and len(second) == 5
    assert "Incident 24" in first[0] and "Incident 0" in second[-1]
    assert groups(client.get("/notifications?page=3").get_data(as_text=True)) == []
    assert client.get("/notifications?page=99999999999").status_code == 400


def test_a_long_inbox_stays_small(client, people, post):
    sam, lee = people
    incident = incidents.register(lee, title="Mail queue")
    for n in range(74):
        post(lee, f"@sam queue at {n}k and climbing, see the dashboard", incident=incident)
    page = client.get("/notifications").get_data(as_text=True)
    assert len(page.encode()) < 20_000 and "74 unread" in page


def test_a_kind_filter_and_kinds_not_known_yet(client, people, post):
    sam, lee = people
    post(lee, "@sam one #dns")
    from app import tags

    db.session.add(
        Notification(
            user_id=sam.id, kind="capacity_forecast", tag_id=tags.get_tag("dns").id, detail="x"
        )
    )
    db.session.commit()
    page = client.get("/notifications").get_data(as_text=True)
    assert "Capacity forecast" in page  # a label made from the kind
    only = client.get("/notifications?kind=mention").get_data(as_text=True)
    assert groups(only) == ["Mentions"]
    assert client.get("/notifications?kind=DROP%20TABLE").status_code == 400
    assert client.post("/notifications/read", {"group": "Bad Kind:1"}).status_code == 400
    assert client.post("/notifications/read", {"group": "mention:99999999999"}).status_code == 400


def test_nothing_about_an_incident_one_may_no_longer_see(client, people, post):
    sam, lee = people
    secret = incidents.register(lee, title="Payroll phishing", restricted=True)
    incidents.add_member(lee, secret, sam)
    post(lee, "@sam check the CFO's mailbox", incident=secret)
    assert "Payroll" in client.get("/notifications").get_data(as_text=True)
    incidents.remove_member(lee, secret, sam)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Payroll" not in page and "CFO" not in page and groups(page) == []
