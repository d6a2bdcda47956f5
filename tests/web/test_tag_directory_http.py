"""The tags directory: tags in use by use, name or first use, those followed, a prefix,
nothing a restricted incident alone carries, and bounded parameters."""

from __future__ import annotations

import re

import pytest

from app import follows, incidents, tags


@pytest.fixture
def used(make_user, post):
    sam, lee = make_user("sam"), make_user("lee")
    for n in range(3):
        post(sam, f"tunnel {n} #vpn")
    post(lee, "printer jam #printing #vpn")
    post(lee, "badge reader #badge")
    secret = incidents.register(lee, title="Intrusion", restricted=True)
    post(lee, "odd logins #exfiltration", incident=secret)
    return {"sam": sam, "lee": lee}


def listed(page: str) -> list[str]:
    return re.findall(r'class="tag">#([^<]+)</a>', page)


def test_the_directory_lists_tags_in_use_and_leaves_out_restricted_ones(client, used):
    client.login("sam")
    page = client.get("/tags").get_data(as_text=True)
    assert listed(page) == ["vpn", "badge", "printing"]  # by use, then name
    assert "4 notes" in page and "exfiltration" not in page
    assert listed(client.get("/tags?order=name").get_data(as_text=True)) == [
        "badge",
        "printing",
        "vpn",
    ]
    assert listed(client.get("/tags?q=%23pr").get_data(as_text=True)) == ["printing"]
    client.login("lee")  # even its team: the directory counts public notes
    assert "exfiltration" not in client.get("/tags").get_data(as_text=True)


def test_the_directory_shows_what_one_follows(client, used):
    follows.set_following(used["sam"], "tag", tags.find_tag("badge").id, True)
    client.login("sam")
    page = client.get("/tags?show=followed").get_data(as_text=True)
    assert listed(page) == ["badge"] and "following" in page
    empty = client.get("/tags?show=followed&q=zz").get_data(as_text=True)
    assert "You follow no tag starting with zz yet." in empty


@pytest.mark.parametrize("query", ["order=popular", "page=0", "page=99999999999999999999"])
def test_bad_parameters_are_refused(client, used, query):
    client.login("sam")
    assert client.get(f"/tags?{query}").status_code == 400


def test_a_persons_page_says_what_they_work_on(client, used):
    client.login("sam")
    page = client.get("/u/lee").get_data(as_text=True)
    works = page[page.index('class="works-on"') :].split("</p>")[0]
    assert re.findall(r"#(\w+) <small>(\d+)</small>", works) == [
        ("badge", "1"),
        ("printing", "1"),
        ("vpn", "1"),
    ]
    assert "exfiltration" not in page  # a restricted incident's tag, even on its author's page
