"""Search results that read at a glance: near-identical notes folded into one ("and 3
similar notes"), each hit with its incident, and facets (tag, incident, service, person,
date) that narrow the search by adding a term; never anything the viewer may not see."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app import incidents
from app.clock import utcnow
from app.search import facets, finder, index


@pytest.fixture
def sam(client, make_user):
    user = make_user("sam")
    client.login("sam")
    return user


def caught_up() -> None:
    while index.apply_outbox():
        pass
    finder.forget_searchers()


def test_likeness_ignores_numbers_tags_mentions_and_punctuation():
    assert facets.likeness("Ward 3 lost Wi-Fi #wifi @lee INC0000012") == facets.likeness(
        "ward 7 lost wi-fi!"
    )
    assert facets.likeness("ward 3 lost wi-fi") != facets.likeness("ward 3 got wi-fi back")
    assert facets.likeness("#vpn") == "#vpn"  # nothing but details: compared as written


def test_near_identical_notes_fold_into_one_hit(client, sam, post, make_user):
    lee = make_user("lee")
    vpn = incidents.register(lee, title="VPN drops", service="VPN")
    for n in range(4):
        post(lee, f"vpn tunnel resets every {n + 4} minutes #vpn", incident=vpn)
    post(sam, "vpn client needs a new certificate #vpn")
    caught_up()
    found = finder.search(sam, "vpn")
    assert found.total == 5 and found.groups == 2 and len(found.hits) == 2
    folded = next(h for h in found.hits if h.similar)
    assert len(folded.similar) == 3
    page = client.get("/search?q=vpn").get_data(as_text=True)
    assert "and 3 similar notes" in page and "near-identical ones folded together" in page
    hit = page.split('<li class="card hit">')[1]
    assert f'class="incident-ref">{vpn.number}</a> <bdi>VPN drops</bdi>' in page
    assert "status-new" in hit or "status-new" in page


def test_facets_count_and_narrow_by_adding_a_term(client, sam, post, make_user):
    lee = make_user("lee")
    vpn = incidents.register(lee, title="VPN drops", service="Remote Access")
    post(lee, "tunnel resets at :05 #vpn", incident=vpn)
    post(lee, "tunnel flaps on floor 2 #vpn #wifi", incident=vpn)
    post(sam, "tunnel under the river floods #facilities")
    caught_up()
    found = finder.search(sam, "tunnel")
    by_name = {f.name: {v.label: (v.token, v.count) for v in f.values} for f in found.facets}
    assert by_name["Tag"]["#vpn"] == ("#vpn", 2) and by_name["Tag"]["#facilities"][1] == 1
    assert by_name["Incident"][f"{vpn.number} VPN drops"] == (f"incident:{vpn.number}", 2)
    assert by_name["Service"]["Remote Access"] == ('service:"Remote Access"', 2)
    assert by_name["Person"]["@lee"] == ("@lee", 2) and by_name["Person"]["@sam"][1] == 1
    page = client.get("/search?q=tunnel").get_data(as_text=True)
    assert 'href="/search?q=tunnel+%23vpn"' in page
    narrowed = client.get("/search?q=tunnel+%23vpn").get_data(as_text=True)
    assert "2 notes" in narrowed and "river" not in narrowed
    assert "q=tunnel+%23vpn+%23vpn" not in narrowed  # a value already filtered is not offered
    service = client.get('/search?q=tunnel+service%3A"Remote+Access"').get_data(as_text=True)
    assert "2 notes" in service


def test_the_date_facet_narrows_to_recent_notes(client, sam, post):
    post(sam, "printer jam again #printing", occurred_at=utcnow() - timedelta(days=20))
    post(sam, "printer jam today #printing")
    caught_up()
    found = finder.search(sam, "printer")
    dates = next(f for f in found.facets if f.name == "Date")
    assert [v.label for v in dates.values] == ["Last 24 hours", "Last 7 days"]
    token = dates.values[0].token
    assert re.fullmatch(r"since:\d{4}-\d\d-\d\dT\d\d:\d\d", token)
    assert finder.search(sam, f"printer {token}").total == 1


def test_facets_never_name_what_the_viewer_may_not_see(client, sam, post, make_user):
    lee = make_user("lee")
    secret = incidents.register(lee, title="Payroll phishing", restricted=True, service="Payroll")
    post(lee, "mailbox rule forwards to outside #phishing", incident=secret)
    post(lee, "mailbox full again #mail")
    caught_up()
    page = client.get("/search?q=mailbox").get_data(as_text=True)
    assert "1 note" in page
    for hidden in ("Payroll", "phishing", secret.number):
        assert hidden not in page


def test_a_large_result_says_it_was_grouped_from_the_best(client, sam, post, monkeypatch):
    monkeypatch.setattr(facets, "GROUP_WINDOW", 3)
    monkeypatch.setattr(
        finder.search, "__kwdefaults__", {**finder.search.__kwdefaults__, "window": 3}
    )
    for n in range(5):
        post(sam, f"distinct note number {'abcde'[n]} about disks")
    caught_up()
    page = client.get("/search?q=disks").get_data(as_text=True)
    assert "5 notes" in page and "Grouped and counted from the best 3" in page


def test_pages_of_groups_are_bounded(client, sam):
    huge = client.get("/search?q=disks&page=99999999999")
    assert huge.status_code == 200 and "The page must be a whole number" in huge.get_data(
        as_text=True
    )
    assert client.get("/search?q=disks&page=3").status_code == 200
