"""Retracting asks first and can be undone for a while (both POSTs with their CSRF token);
editing happens in place of the card for htmx, on a page of its own without it; every
earlier version is kept either way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import notes, tags
from app.clock import utcnow
from app.errors import Refused
from app.extensions import db
from app.models import Note


@pytest.fixture
def sam(client, make_user):
    user = make_user("sam")
    client.login("sam")
    return user


def test_retract_asks_first_with_and_without_javascript(client, sam, post):
    note = post(sam, "wrong ward named #epr")
    page = client.get(f"/notes/{note.id}/retract").get_data(as_text=True)
    assert "Retract this note?" in page and "<html" in page and "wrong ward named" in page
    part = client.get(f"/notes/{note.id}/retract", htmx=True).get_data(as_text=True)
    assert "Retract this note?" in part and "<html" not in part and 'name="csrf_token"' in part
    assert db.session.get(Note, note.id).retracted_at is None  # asking changed nothing


def test_a_card_carries_no_csrf_token(client, sam, post):
    note = post(sam, "cards are shared by everyone who sees them")
    page = client.get("/all").get_data(as_text=True)
    card = page.split(f'id="note-{note.id}"')[1].split("</article>")[0]
    assert "csrf" not in card.lower() and f'href="/notes/{note.id}/retract"' in card


def test_retract_then_undo_puts_the_note_back_everywhere(client, sam, post):
    note = post(sam, "users cannot print on ward 3 #printing")
    response = client.post(f"/notes/{note.id}/retract", htmx=True)
    body = response.get_data(as_text=True)
    assert "Note retracted" in body and f'action="/notes/{note.id}/restore"' in body
    assert "users cannot print" not in client.get("/all").get_data(as_text=True)
    assert tags.get_tag("printing").note_count == 0
    response = client.post(f"/notes/{note.id}/restore", htmx=True)
    assert "users cannot print on ward 3" in response.get_data(as_text=True)
    assert "users cannot print" in client.get("/all").get_data(as_text=True)
    db.session.expire_all()
    assert tags.get_tag("printing").note_count == 1
    assert db.session.get(Note, note.id).retracted_by_id is None


def test_without_javascript_the_thread_offers_the_undo(client, sam, post):
    note = post(sam, "duplicate of the note above")
    response = client.post(f"/notes/{note.id}/retract")
    assert response.status_code == 302 and response.location.endswith(f"/notes/{note.id}")
    page = client.get(f"/notes/{note.id}").get_data(as_text=True)
    assert "Undo" in page and f'action="/notes/{note.id}/restore"' in page
    assert client.post(f"/notes/{note.id}/restore").status_code == 302
    assert "Undo" not in client.get(f"/notes/{note.id}").get_data(as_text=True)


def test_undo_is_for_who_retracted_and_only_for_a_while(client, sam, post, make_user):
    lee = make_user("lee")
    mine = post(sam, "mine")
    theirs = post(lee, "theirs")
    notes.retract_note(lee, theirs)
    assert client.post(f"/notes/{theirs.id}/restore").status_code == 403  # not even asked
    client.post(f"/notes/{mine.id}/retract")
    db.session.get(Note, mine.id).retracted_at = utcnow() - timedelta(minutes=6)
    db.session.commit()
    response = client.post(f"/notes/{mine.id}/restore")
    assert response.status_code == 400 and "Too late" in response.get_data(as_text=True)
    assert "Undo" not in client.get(f"/notes/{mine.id}").get_data(as_text=True)


def test_an_admin_who_retracted_may_undo_but_the_author_may_not(ctx, make_user, post):
    ada, sam = make_user("ada", role="admin"), make_user("sam")
    note = post(sam, "posted in the wrong place")
    notes.retract_note(ada, note)
    with pytest.raises(Refused):
        notes.restore_note(sam, note)
    notes.restore_note(ada, note)
    assert not note.is_retracted


@pytest.mark.parametrize("path", ["retract", "restore"])
def test_both_posts_need_their_token(client, sam, post, path):
    note = post(sam, "tokens matter")
    assert client.post(f"/notes/{note.id}/{path}", csrf=False).status_code == 400
    assert client.post(f"/notes/{note.id}/{path}", csrf=False, htmx=True).status_code == 400


def test_edit_in_place_for_htmx_and_on_a_page_without_it(client, sam, post):
    note = post(sam, "tunel resets at :05")
    part = client.get(f"/notes/{note.id}/edit", htmx=True).get_data(as_text=True)
    assert "<html" not in part and f'id="note-{note.id}"' in part
    assert f'hx-post="/notes/{note.id}/edit"' in part and ">tunel resets at :05</textarea>" in part
    assert f'hx-get="/notes/{note.id}/card"' in part  # Cancel puts the card back
    page = client.get(f"/notes/{note.id}/edit").get_data(as_text=True)
    assert "<html" in page and "Edit your note" in page
    card = client.post(f"/notes/{note.id}/edit", {"text": "tunnel resets at :05"}, htmx=True)
    assert "tunnel resets at :05" in card.get_data(as_text=True)
    assert [v.text for v in notes.versions_of(note, sam)] == [
        "tunel resets at :05",
        "tunnel resets at :05",
    ]


def test_the_card_route_serves_htmx_and_sends_others_to_the_thread(client, sam, post):
    note = post(sam, "a card")
    assert "a card" in client.get(f"/notes/{note.id}/card", htmx=True).get_data(as_text=True)
    assert client.get(f"/notes/{note.id}/card").status_code == 302


def test_someone_elses_note_offers_neither_edit_nor_retract(client, sam, post, make_user):
    lee = make_user("lee")
    note = post(lee, "not yours")
    page = client.get("/all").get_data(as_text=True)
    card = page.split(f'id="note-{note.id}"')[1].split("</article>")[0]
    assert "/edit" not in card and "/retract" not in card
    assert client.get(f"/notes/{note.id}/retract").status_code == 403
    assert client.get(f"/notes/{note.id}/edit", htmx=True).status_code == 403
