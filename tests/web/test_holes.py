"""The holes a hostile review found, each closed at its cause and tried again over HTTP.

A restricted incident and its notes leave no trace for a non-member on any read path
(existence, counts, links, events, parents, children); every kind of route parameter
answers 4xx at its extremes; bodies are bounded; every page is private to its viewer.
"""

from __future__ import annotations

import time

import pytest

from app import incidents, notes
from app.extensions import db
from app.models import Incident, Note
from app.search import index
from tests.web.test_alertmanager import FIRING, TOKEN, hook  # noqa: F401 - a fixture

HUGE = str(2**70)
BEYOND_IDS = str(2**31)  # within 64 bits, beyond the ids PostgreSQL keeps (INTEGER)


@pytest.fixture
def sam(client, make_user):
    user = make_user("sam")
    client.login("sam")
    return user


@pytest.fixture
def lee(make_user):
    return make_user("lee")


def text_of(response) -> str:
    return response.get_data(as_text=True)


# -- parents and children -----------------------------------------------------------


def test_a_restricted_child_of_a_public_parent_leaves_no_trace_and_cannot_be_moved(
    client, sam, lee
):
    parent = incidents.register(lee, title="Mail relay down")
    child = incidents.register(lee, title="Breach of the relay", restricted=True)
    incidents.link_parent(lee, child, parent)
    parent_number, child_number = parent.number, child.number
    page = text_of(client.get(f"/incidents/{parent_number}"))
    assert child_number not in page and "Breach of the relay" not in page
    listing = text_of(client.get("/incidents"))
    assert child_number not in listing

    # Neither the route nor resolving the parent with its children moves it.
    incidents.move(sam, parent, "in_progress")
    response = client.post(f"/incidents/{parent_number}/children/resolve")
    assert response.status_code == 302
    incidents.move(
        sam,
        parent,
        "resolved",
        resolution_code="Solved (Permanently)",
        resolution_notes="Relay restarted.",
        with_children=True,
    )
    db.session.expire_all()
    assert db.session.get(Incident, child.id).status == "new"
    # Its own team still resolves it with the parent.
    assert [c.number for c in incidents.open_children(parent, lee)] == [child_number]


def test_a_public_child_does_not_show_its_restricted_parent(client, sam, lee):
    parent = incidents.register(lee, title="Intrusion", restricted=True)
    child = incidents.register(lee, title="VPN sessions dropped")
    incidents.link_parent(lee, child, parent)
    page = text_of(client.get(f"/incidents/{child.number}"))
    assert "VPN sessions dropped" in page
    assert parent.number not in page and "Intrusion" not in page
    assert incidents.parent_of(child, sam) is None
    assert incidents.parent_of(child, lee).number == parent.number


# -- search counts ------------------------------------------------------------------


def searched(client, words: str) -> str:
    time.sleep(0.3)  # past the searcher's refresh interval, as a later request would be
    return text_of(client.get(f"/search?q={words}"))


def caught_up() -> None:
    while index.apply_outbox():
        pass


def test_search_never_counts_an_old_word_a_retracted_note_or_a_now_restricted_one(
    client, sam, lee, post
):
    note = post(sam, "zebra crossing on the VPN")
    caught_up()
    assert "1 note," in searched(client, "zebra")  # the searcher is now warm for the word
    notes.edit_note(sam, note, "okapi crossing on the VPN")
    caught_up()
    assert "1 note," not in searched(client, "zebra")
    assert "1 note," in searched(client, "okapi")

    notes.retract_note(sam, note)  # hidden at once, before the index has caught up
    assert "1 note," not in searched(client, "okapi")
    caught_up()
    assert "1 note," not in searched(client, "okapi")

    incident = incidents.register(lee, title="Odd logins")
    post(lee, "quokka seen in the logs", incident=incident)
    caught_up()
    assert "1 note," in searched(client, "quokka")
    incidents.update_fields(lee, incident, {"restricted": True})
    db.session.commit()
    page = searched(client, "quokka")  # hidden before the index has caught up too
    assert "1 note," not in page and "quokka seen" not in page
    caught_up()
    page = searched(client, "quokka")
    assert "1 note," not in page and "quokka seen" not in page


# -- versions, tag aliases, incident links -------------------------------------------


def test_the_versions_of_a_retracted_note_are_for_its_author_and_admins(
    client, sam, make_user, post
):
    note = post(sam, "first words")
    notes.edit_note(sam, note, "second words")
    notes.retract_note(sam, note)
    assert "first words" in text_of(client.get(f"/notes/{note.id}/versions"))
    make_user("kim")
    client.login("kim")
    response = client.get(f"/notes/{note.id}/versions")
    assert response.status_code == 404 and "first words" not in text_of(response)


def test_a_tag_page_says_nothing_of_a_tag_used_only_in_restricted_notes(client, sam, lee, post):
    post(sam, "tunnel flaps #vpn")
    secret = incidents.register(lee, title="Intrusion", restricted=True)
    post(lee, "exfil over dns #exfiltration", incident=secret)
    known = text_of(client.get("/tags/vpn?alias=exfiltration"))
    unknown = text_of(client.get("/tags/vpn?alias=nosuchtagatall"))
    assert "exfiltration" not in known and "nosuchtagatall" not in unknown
    assert client.get("/tags/exfiltration").status_code == 404


def test_an_incident_number_links_only_when_the_reader_may_see_it(client, sam, lee, post):
    public = incidents.register(lee, title="Printers")
    secret = incidents.register(lee, title="Intrusion", restricted=True)
    post(sam, f"see {public.number} and {secret.number}")
    page = text_of(client.get("/all"))
    assert f'href="/incidents/{public.number}"' in page
    assert f'href="/incidents/{secret.number}"' not in page and secret.number in page
    client.login("lee")  # its team member gets the link
    assert f'href="/incidents/{secret.number}"' in text_of(client.get("/all"))


# -- parameters at their extremes ----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"/notes/{HUGE}",
        f"/notes/{HUGE}/versions",
        f"/notes/{HUGE}/edit",
        "/notes/%C2%B2",
        "/notes/0",
        f"/admin/models/{HUGE}",
        f"/notes/{BEYOND_IDS}",
        f"/admin/models/{BEYOND_IDS}",
    ],
)
def test_integers_beyond_the_database_in_a_path_are_not_found(client, sam, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/incidents?priority={HUGE}",
        "/incidents?priority=%C2%B2",
        "/incidents?status=nonsense",
        f"/incidents/new?model={HUGE}",
        "/incidents/new?model=%C2%B2",
        "/incidents/metrics?to=9999-12-31",
        "/incidents/metrics?from=0001-01-01",
        "/incidents/metrics?from=2026-13-45",
    ],
)
def test_extreme_query_values_are_refused_with_a_message(client, sam, url):
    response = client.get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code)


def test_a_search_page_beyond_the_last_says_so(client, sam):
    for page in (HUGE, "²", "0"):
        response = client.get(f"/search?q=vpn&page={page}")
        assert response.status_code == 200 and 'role="alert">The page must be' in text_of(response)


def test_extreme_form_values_are_refused_and_change_nothing(client, sam, post):
    note = post(sam, "a note to reply to")
    incident = incidents.register(sam, title="Disk full")
    for data in (
        {"text": "reply", "reply_to": HUGE},
        {"text": "reply", "reply_to": BEYOND_IDS},
        {"text": "reply", "reply_to": "²"},
        {"text": "early", "occurred_at": "0001-01-01T00:00", "tz_offset": "840"},
        {"text": "late", "occurred_at": "9999-12-31T23:59", "tz_offset": "-840"},
        {"text": "odd zone", "tz_offset": HUGE},
    ):
        response = client.post("/notes", data)
        assert response.status_code == 400, (data, response.status_code)
    for form in ({"id": HUGE}, {"id": BEYOND_IDS}, {"id": "²"}, {"id": "-1"}):
        assert client.post("/notifications/read", form).status_code == 400
    assert client.post(f"/incidents/{incident.number}/checklist/{HUGE}").status_code == 404
    db.session.expire_all()
    assert [n.id for n in notes.replies(note, sam)] == [note.id]
    assert db.session.query(Note).count() == 1


# -- bodies --------------------------------------------------------------------------


def test_an_oversized_or_overfull_alert_body_is_refused_before_any_work(client, hook):  # noqa: F811
    huge = client.open(
        "/hooks/alertmanager",
        method="POST",
        data=b"x" * (9 * 1024**2),
        content_type="application/json",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert huge.status_code == 413
    many = dict(
        FIRING, alerts=[dict(FIRING["alerts"][0], fingerprint=f"f{i}") for i in range(1001)]
    )
    response = hook(many)
    assert response.status_code == 413 and "1,000" in response.get_json()["error"]
    assert db.session.query(Incident).count() == 0


def test_an_alert_from_year_one_is_refused(hook):  # noqa: F811
    early = dict(FIRING, alerts=[dict(FIRING["alerts"][0], startsAt="0001-01-01T00:00:00-14:00")])
    response = hook(early)
    assert response.status_code == 400 and "error" in response.get_json()
    assert db.session.query(Incident).count() == 0


# -- headers -------------------------------------------------------------------------


def test_pages_are_private_to_their_viewer_and_static_files_are_not(client, sam):
    assert client.get("/").headers["Cache-Control"] == "private, no-store"
    assert client.get("/login").headers["Cache-Control"] == "private, no-store"
    style = client.get("/static/css/app.css")
    assert "no-store" not in style.headers.get("Cache-Control", "")


@pytest.mark.parametrize(
    "cursor",
    [
        "99999999999999999_2147483647",
        "1_" + BEYOND_IDS,
        "1_" + "9" * 19,
        "-5_3",
        "x_1",
        "1",
        "٣_٣",
        "0_0",
    ],
)
def test_feed_cursors_at_their_extremes_answer_a_page_or_a_message(client, sam, cursor):
    for url in (f"/all?before={cursor}", f"/all?after={cursor}", f"/?before={cursor}"):
        response = client.get(url)
        assert response.status_code in (200, 400), (url, response.status_code)
        if response.status_code == 400:
            assert "That page link is broken" in text_of(response)
