"""Note cards carry their context: the note's incident (number, title, status badge) even
when the text does not name it, the start of the note a reply answers, the author's
initials; never anything the viewer may not see. Feeds on a wide screen have a side
column: the incidents one follows and the tags trending today."""

from __future__ import annotations

import re

import pytest

from app import follows, incidents
from app.extensions import db
from app.models import Note


@pytest.fixture
def sam(client, make_user):
    user = make_user("sam", display_name="Sam Singh")
    client.login("sam")
    return user


def card(page: str, note_id: int) -> str:
    return page.split(f'id="note-{note_id}"')[1].split("</article>")[0]


def test_a_card_names_its_incident_even_when_the_text_does_not(client, sam, post):
    incident = incidents.register(sam, title="Ward printers <offline>")
    incidents.acknowledge(sam, incident)
    note = post(sam, "spooler restarted, queue drains", incident=incident)
    shown = card(client.get("/all").get_data(as_text=True), note.id)
    assert f'<a href="/incidents/{incident.number}" class="incident-ref">{incident.number}</a>' in (
        shown
    )
    assert "<bdi>Ward printers &lt;offline&gt;</bdi>" in shown
    assert re.search(r'class="status-badge status-in_progress">.*In progress', shown)
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert 'class="note-incident"' not in card(page, note.id)  # its own page says it already


def test_a_card_shows_the_initials_of_its_author(client, sam, post):
    note = post(sam, "hello")
    assert re.search(
        r'class="avatar hue-\d" aria-hidden="true">SS<',
        card(client.get("/all").get_data(as_text=True), note.id),
    )


def test_a_reply_quotes_the_start_of_its_parent(client, sam, post, make_user):
    lee = make_user("lee", display_name="Lee <Laurent>")
    parent = post(lee, "x" * 120 + " the tail nobody reads")
    reply = post(sam, "seen it too", reply_to=parent)
    shown = card(client.get("/all").get_data(as_text=True), reply.id)
    assert "in reply to <bdi>Lee &lt;Laurent&gt;</bdi>" in shown
    assert f'<q dir="auto">{"x" * 100}…</q>' in shown and "tail" not in shown


def test_a_retracted_parent_is_not_quoted(client, sam, post, make_user):
    from app.notes import retract_note

    lee = make_user("lee")
    parent = post(lee, "wrong server named here")
    reply = post(sam, "which one?", reply_to=parent)
    retract_note(lee, parent)
    shown = card(client.get("/all").get_data(as_text=True), reply.id)
    assert "wrong server" not in shown and "in reply to <a" in shown


def test_a_hidden_parent_or_incident_is_never_quoted(client, sam, post, make_user, other_client):
    lee = make_user("lee")
    secret = incidents.register(lee, title="Payroll phishing", restricted=True)
    parent = post(lee, "the phished account is the CFO's", incident=secret)
    reply = post(lee, "rotating their keys", reply_to=parent)
    # An imported reply may sit outside its parent's incident: the card must still hide it.
    db.session.get(Note, reply.id).incident_id = None
    db.session.commit()
    shown = card(client.get("/all").get_data(as_text=True), reply.id)
    assert "CFO" not in shown and "Payroll" not in shown and secret.number not in shown
    other_client.login("lee")
    shown = card(other_client.get("/all").get_data(as_text=True), reply.id)
    assert "the phished account is the CFO" in shown


def test_the_side_column_lists_followed_incidents_one_may_see(client, sam, make_user):
    lee = make_user("lee")
    open_one = incidents.register(sam, title="Mail queue stuck", impact=1, urgency=1)
    secret = incidents.register(lee, title="Badge cloning", restricted=True)
    incidents.add_member(lee, secret, sam)
    for incident in (open_one, secret):
        follows.follow(sam, "incident", incident.id)
    incidents.remove_member(lee, secret, sam)
    for path in ("/", "/all"):
        page = client.get(path).get_data(as_text=True)
        side = page.split('aria-label="Beside the feed"')[1].split("</aside>")[0]
        assert "Mail queue stuck" in side and "status-new" in side and "sla-on_track" in side
        assert "Badge cloning" not in side
        assert 'hx-get="/side/trending"' in side


def test_an_older_page_of_the_feed_reads_no_side_column(client, sam, post, monkeypatch):
    called = []
    monkeypatch.setattr(incidents, "followed_incidents", lambda *a: called.append(1) or [])
    first = post(sam, "one")
    client.get(f"/all?before={int(first.sort_at.timestamp() * 1e6) + 1}_{first.id}", htmx=True)
    assert called == []
    client.get("/all")
    assert called == [1]


def test_the_trending_panel_is_a_fragment(client, sam):
    response = client.get("/side/trending", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "Trending today" in body and 'href="/trends"' in body
