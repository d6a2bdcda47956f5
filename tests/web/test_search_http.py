"""The search page over HTTP: results, chips, partials, messages, degraded mode."""

from __future__ import annotations

import shutil

import pytest

from app import incidents
from app.search import finder, index


@pytest.fixture
def sam(client, make_user):
    user = make_user("sam")
    client.login("sam")
    return user


def caught_up() -> None:
    while index.apply_outbox():
        pass
    finder.forget_searchers()


def test_an_empty_search_page_shows_how_to_search(client, sam):
    page = client.get("/search").get_data(as_text=True)
    assert 'role="search"' in page and '"password reset"' in page


def test_results_with_highlights_chips_and_counts(client, sam, post):
    post(sam, "VPN tunnel resets #vpn")
    post(sam, "printer tunnel? no, a jam #printing")
    caught_up()
    page = client.get("/search?q=tunnel+%23vpn").get_data(as_text=True)
    assert "1 note, best match first" in page
    assert '<mark class="hit term0">tunnel</mark>' in page
    assert 'href="/search?q=tunnel&amp;order="' in page  # the chip removes #vpn
    partial = client.get("/search?q=tunnel&order=newest", htmx=True).get_data(as_text=True)
    assert "<html" not in partial and "2 notes, newest first" in partial


def test_a_malformed_query_gets_a_message_not_an_error(client, sam):
    response = client.get("/search?q=%22unclosed")
    assert response.status_code == 200
    assert 'role="alert">A quotation mark is not closed.' in response.get_data(as_text=True)
    for q in ("since:0001-01-01T00:00%2B01:00", "until:9999-12-31T23:00-01:00", "priority:P9"):
        for htmx in (False, True):  # the page, and the results as the box asks for them
            response = client.get(f"/search?q={q}", htmx=htmx)
            assert response.status_code == 200 and 'role="alert"' in response.get_data(as_text=True)


def test_restricted_notes_stay_hidden_from_outsiders(client, sam, make_user, post):
    lee = make_user("lee")
    secret = incidents.register(lee, title="Intrusion", restricted=True)
    post(lee, "attacker on the VPN", incident=secret)
    post(lee, "VPN slow")
    caught_up()
    page = client.get("/search?q=vpn").get_data(as_text=True)
    assert "1 note," in page and "attacker" not in page


def test_a_missing_index_says_search_is_unavailable_and_the_site_works(client, sam, post, ctx):
    post(sam, "disk full")
    caught_up()
    shutil.rmtree(index.search_dir())
    finder.forget_searchers()
    response = client.get("/search?q=disk")
    assert response.status_code == 200
    assert "Search is unavailable: the search index is missing" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200
    assert client.post("/notes", {"text": "still posting"}).status_code == 302


def test_a_corrupt_index_says_so_on_the_page_and_the_site_works(client, sam, post):
    from pathlib import Path

    post(sam, "certificate expired")
    caught_up()
    for path in Path(index.current_generation().path).glob("_MAIN_*.toc"):
        path.write_bytes(b"garbage")
    finder.forget_searchers()
    response = client.get("/search?q=certificate", htmx=True)
    assert response.status_code == 200
    assert "Search is unavailable: the search index cannot be read" in response.get_data(
        as_text=True
    )
    assert client.post("/notes", {"text": "still posting"}).status_code == 302
    assert "still posting" in client.get("/").get_data(as_text=True)
