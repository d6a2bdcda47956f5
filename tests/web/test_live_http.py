"""Live updates over HTTP: /live answers 204 from a kept counter while nothing changed,
touching no note; a committed note or incident change moves the counter, a rolled-back
one does not; an incident page asks for what arrived after its cursor."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app import incidents, live
from app.errors import Refused
from app.extensions import db


@pytest.fixture
def sam(client, make_user):
    user = make_user("sam")
    client.login("sam")
    return user


def entries(page: str) -> set[str]:
    """The timeline entries a page or a live answer carries ("note-12", "event-3")."""
    return set(re.findall(r'data-entry="([a-z]+-[0-9]+)"', page))


def ask(client, s: str, u: int | str):
    return client.get(f"/live?s={s}&u={u}")


def test_nothing_changed_is_204_and_a_colleagues_note_moves_the_counter(
    client, sam, post, make_user
):
    lee = make_user("lee")
    seen = str(live.stamp())
    assert ask(client, seen, 0).status_code == 204
    post(lee, "tunnel resets at :05")
    response = ask(client, seen, 0)
    assert response.status_code == 200
    now = response.get_json()
    assert now["u"] == 0 and int(now["s"]) > int(seen)
    assert ask(client, now["s"], 0).status_code == 204


def test_a_mention_changes_the_unread_count(client, sam, post, make_user):
    lee = make_user("lee")
    seen = str(live.stamp())
    post(lee, "@sam can you look?")
    assert ask(client, seen, 0).get_json()["u"] == 1


def test_edits_retractions_and_incident_changes_move_the_counter(client, sam, post):
    from app.notes import edit_note, retract_note

    note = post(sam, "first words")
    steps = [
        lambda: edit_note(sam, note, "better words"),
        lambda: retract_note(sam, note),
        lambda: incidents.register(sam, title="Mail queue stuck"),
    ]
    for step in steps:
        before = live.stamp()
        step()
        assert live.stamp() > before


def test_a_refused_write_leaves_the_counter_alone(client, sam, post):
    incident = incidents.register(sam, title="Printers")
    before = live.stamp()
    with pytest.raises(Refused):
        post(sam, "done\n/status closed", incident=incident)  # new cannot close
    assert live.stamp() == before


def test_the_question_touches_no_note(client, sam, post, ctx):
    post(sam, "something to not read")
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        assert ask(client, "0", 0).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert not any(re.search(r"\bnotes\b", s) for s in statements)


def test_signed_out_pages_stop_asking(client):
    assert client.get("/live?s=0&u=0").status_code == 401


@pytest.mark.parametrize("query", ["s=" + "9" * 5000 + "&u=0", "s=&u=" + "1" * 400, "u=x"])
def test_odd_answers_are_answered_not_failed(client, sam, query):
    assert client.get(f"/live?{query}").status_code == 200


def test_a_page_carries_the_counter_it_was_built_with(client, sam):
    page = client.get("/").get_data(as_text=True)
    assert f'data-live-stamp="{live.stamp()}"' in page and 'data-live-url="/live"' in page


def test_a_live_incident_page_gets_what_arrived_after_its_cursor(client, sam, post, make_user):
    lee = make_user("lee")
    incident = incidents.register(sam, title="Badge readers dark")
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    cursor = re.search(r'hx-get="[^"]*\?after=([0-9_]+)"', page)[1]
    # Nothing new yet: at most what was written just before (SETTLE), kept once by the page.
    first = client.get(f"/incidents/{incident.number}?after={cursor}", htmx=True)
    assert entries(first.get_data(as_text=True)) <= entries(page)
    note = post(lee, "readers on floor 2 too", incident=incident)
    incidents.acknowledge(sam, incident)
    body = client.get(f"/incidents/{incident.number}?after={cursor}", htmx=True).get_data(
        as_text=True
    )
    assert 'hx-swap-oob="afterbegin:#incident-timeline"' in body  # newest first
    assert f'data-entry="note-{note.id}"' in body and "readers on floor 2 too" in body
    assert re.search(
        r"changed <strong>status</strong> from <bdi>new</bdi> to <bdi>in progress", body
    )
    assert 'id="incident-state"' in body and "In progress" in body
    newer = re.search(r'\?after=([0-9_]+)"', body)[1]
    again = client.get(f"/incidents/{incident.number}?after={newer}", htmx=True)
    assert entries(again.get_data(as_text=True)) <= entries(page) | entries(body)


@pytest.mark.parametrize(
    "cursor", ["x", "1_", "99999999999_1", "1_2_", "1_2_3_4", "1_2_999999999999", "-1_0"]
)
def test_a_broken_timeline_cursor_is_refused(client, sam, cursor):
    incident = incidents.register(sam, title="Badge readers dark")
    response = client.get(f"/incidents/{incident.number}?after={cursor}", htmx=True)
    assert response.status_code == 400


def test_a_link_from_before_the_read_time_was_kept_still_works(client, sam, post):
    incident = incidents.register(sam, title="Badge readers dark")
    note = post(sam, "readers dark on floor 2", incident=incident)
    body = client.get(f"/incidents/{incident.number}?after=0_0", htmx=True).get_data(as_text=True)
    assert f'data-entry="note-{note.id}"' in body


def test_a_note_committed_after_a_newer_one_still_reaches_a_live_page(postgres, tmp_path):
    """PostgreSQL numbers a note when its transaction inserts it: the note of a slow
    transaction can become visible after a newer note was read, below the cursor the
    live page then holds. The page is sent it all the same."""
    import threading

    from app import accounts
    from app.database import write_transaction
    from app.notes import post_note
    from tests.conftest import Client, build_app

    postgres.psql("CREATE DATABASE late_commit")
    app = build_app(postgres.url("late_commit"), tmp_path)
    with app.app_context():
        sam = accounts.create_user("sam", password="correct horse battery")
        number = incidents.register(sam, title="Badge readers dark").number
    posted, release, done = threading.Event(), threading.Event(), threading.Event()

    def slow_writer() -> None:
        with app.app_context():
            author = accounts.find_user("sam")
            incident = incidents.get_incident(number, author)
            with write_transaction():
                post_note(author, "first typed, last committed", incident=incident)
                posted.set()
                release.wait(30)
            done.set()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    try:
        assert posted.wait(30)
        with app.app_context():
            client = Client(app.test_client())
            client.login("sam")
            author = accounts.find_user("sam")
            incident = incidents.get_incident(number, author)
            post_note(author, "typed second, committed first", incident=incident)
            page = client.get(f"/incidents/{number}").get_data(as_text=True)
            assert "typed second" in page and "first typed" not in page
            cursor = re.search(r'hx-get="[^"]*\?after=([0-9_]+)"', page)[1]
            release.set()
            assert done.wait(30)
            body = client.get(f"/incidents/{number}?after={cursor}", htmx=True)
            assert "first typed, last committed" in body.get_data(as_text=True)
    finally:
        release.set()
        writer.join(30)
        with app.app_context():
            db.engine.dispose()


def test_the_counter_is_shared_through_redis_when_configured(ctx):
    from tests import redis_server

    server = redis_server.start()
    try:
        one, two = live.RedisStamp(server.url), live.RedisStamp(server.url)
        start = one.read()
        assert two.bump() == start + 1 and one.read() == start + 1
    finally:
        server.stop()


def test_the_counter_file_is_shared_by_processes(tmp_path):
    import subprocess
    import sys

    stamp = live.FileStamp(tmp_path / "live.stamp")
    assert stamp.read() == 0
    code = (
        "from pathlib import Path; from app.live import FileStamp;"
        f"s = FileStamp(Path({str(tmp_path / 'live.stamp')!r}));"
        "[s.bump() for _ in range(50)]"
    )
    workers = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(4)]
    assert [w.wait() for w in workers] == [0, 0, 0, 0]
    assert stamp.read() == 200  # no bump lost between processes
