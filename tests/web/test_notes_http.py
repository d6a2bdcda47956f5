"""Composing, threads, editing and retracting over HTTP, for htmx and plain requests alike."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Note


def note_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Note))


@pytest.fixture
def sam(client, make_user):
    user = make_user("sam")
    client.login("sam")
    return user


def test_plain_post_redirects_and_the_note_is_in_the_feed(client, sam):
    response = client.post("/notes", {"text": "cache cleared on web-2 #cache"})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "cache cleared on web-2" in page and 'href="/tags/cache"' in page


def test_htmx_post_returns_only_the_new_note(client, sam):
    response = client.post("/notes", {"text": "hello #world"}, htmx=True)
    assert response.status_code == 201
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<article") and "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_feed_page_and_partial_come_from_the_same_route(client, sam):
    for i in range(25):
        client.post("/notes", {"text": f"note {i}"})
    full = client.get("/all").get_data(as_text=True)
    assert "<html" in full and full.count("<article") == 20
    cursor = full.split("?before=")[1].split('"')[0]
    partial = client.get(f"/all?before={cursor}", htmx=True).get_data(as_text=True)
    assert "<html" not in partial and partial.count("<article") == 5
    plain = client.get(f"/all?before={cursor}").get_data(as_text=True)
    assert "<html" in plain and plain.count("<article") == 5


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    "text,message",
    [
        ("", "needs some text"),
        ("   \n ", "needs some text"),
        ("x" * 501, "at most 500"),
    ],
)
def test_bad_notes_get_4xx_and_a_message_and_change_nothing(client, sam, htmx, text, message):
    response = client.post("/notes", {"text": text}, htmx=htmx)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert note_count() == 0


def test_hostile_note_is_rendered_inert(client, sam):
    hostile = (
        '<script>alert(1)</script><img src=x onerror=alert(2)> javascript:alert(3) "onmouseover="x'
    )
    client.post("/notes", {"text": hostile})
    page = client.get("/").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page


def test_thread_page_shows_replies_and_reply_form(client, sam, post, make_user):
    lee = make_user("lee")
    root = post(lee, "db failover started")
    client.post("/notes", {"text": "watching replication lag", "reply_to": root.id})
    page = client.get(f"/notes/{root.id}").get_data(as_text=True)
    assert "db failover started" in page and "watching replication lag" in page
    assert f'name="reply_to" value="{root.id}"' in page


def test_edit_own_note_keeps_versions_visible(client, sam, post):
    note = post(sam, "first words")
    assert client.post(f"/notes/{note.id}/edit", {"text": "second words"}).status_code == 302
    page = client.get(f"/notes/{note.id}/versions").get_data(as_text=True)
    assert "first words" in page and "second words" in page


def test_editing_someone_elses_note_is_403_and_changes_nothing(client, sam, post, make_user):
    note = post(make_user("lee"), "lee's words")
    assert client.get(f"/notes/{note.id}/edit").status_code == 403
    assert client.post(f"/notes/{note.id}/edit", {"text": "sam's words"}).status_code == 403
    assert client.post(f"/notes/{note.id}/edit", {"text": "x"}, htmx=True).status_code == 403
    db.session.expire_all()
    assert db.session.get(Note, note.id).text == "lee's words"


def test_retracted_note_leaves_feeds_but_its_page_says_so(client, sam, post):
    note = post(sam, "posted to the wrong incident")
    assert client.post(f"/notes/{note.id}/retract").status_code == 302
    assert "posted to the wrong incident" not in client.get("/").get_data(as_text=True)
    page = client.get(f"/notes/{note.id}").get_data(as_text=True)
    assert "This note was retracted" in page and "posted to the wrong incident" not in page


def test_unknown_user_and_note_are_404(client, sam):
    assert client.get("/u/nobody").status_code == 404
    assert client.get("/notes/999999").status_code == 404
    assert client.get("/tags/nothing_here").status_code == 404


def test_occurred_at_from_the_form_uses_the_browsers_offset(client, sam):
    client.post(
        "/notes", {"text": "started earlier", "occurred_at": "2026-01-05T14:05", "tz_offset": "60"}
    )
    note = db.session.scalar(select(Note))
    assert note.occurred_at.isoformat() == "2026-01-05T13:05:00+00:00"


def test_live_poll_counts_new_notes_and_inserts_them(client, sam, post, make_user):
    lee = make_user("lee")
    post(lee, "first")
    page = client.get("/all").get_data(as_text=True)
    cursor = page.split("after=")[1].split('"')[0]
    assert "new note" not in client.get(f"/all?poll=1&after={cursor}", htmx=True).get_data(
        as_text=True
    )
    post(lee, "second")
    post(lee, "third")
    bar = client.get(f"/all?poll=1&after={cursor}", htmx=True).get_data(as_text=True)
    assert "2 new notes" in bar
    inserted = client.get(f"/all?after={cursor}", htmx=True).get_data(as_text=True)
    assert inserted.index("third") < inserted.index("second") and "first" not in inserted
    assert 'hx-swap-oob="true"' in inserted


def test_autocomplete_endpoints_answer_json(client, sam, post):
    post(sam, "#password_reset and #PasswordPolicy")
    tags = client.get("/complete/tags?q=pass").get_json()
    assert {t["key"] for t in tags} == {"password_reset", "passwordpolicy"}
    users = client.get("/complete/users?q=sa").get_json()
    assert users == [{"value": "sam", "label": "@sam", "hint": "sam"}]
