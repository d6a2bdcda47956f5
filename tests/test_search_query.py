"""The search query language, run on a real Whoosh index (no database needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.index import create_in

from app.errors import Refused
from app.search.query import parse
from app.search.schema import SCHEMA, document

NOTES = {
    1: ("VPN tunnel resets every five minutes #vpn", ["vpn"], "sam", None, None, None, 1),
    2: ("Café printer jam on ward 3 #printing", ["printing"], "lee", None, None, None, 2),
    3: (
        "password reset under time pressure #pwreset",
        ["pwreset"],
        "sam",
        "INC0000045",
        "Patient Records",
        1,
        3,
    ),
    4: (
        "reset the password via the portal #password_reset",
        ["password_reset"],
        "kim",
        "INC0000045",
        "Patient Records",
        1,
        4,
    ),
    5: ("tunnel VPN flapping, not the printer", [], "lee", "INC0000046", "VPN", 3, 5),
}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    ix = create_in(str(tmp_path_factory.mktemp("index")), SCHEMA)
    with ix.writer() as writer:
        for note_id, (text, tags, author, incident, service, priority, day) in NOTES.items():
            writer.add_document(
                **document(
                    note_id=note_id,
                    text=text,
                    tags=tags,
                    author=author,
                    incident=incident,
                    service=service,
                    priority=priority,
                    at=datetime(2026, 1, day, 12, tzinfo=UTC),
                )
            )
    with ix.searcher() as searcher:
        yield searcher


def found(searcher, q: str, **kwargs) -> set[int]:
    return {int(hit["id"]) for hit in searcher.search(parse(q, **kwargs).query, limit=None)}


@pytest.mark.parametrize(
    "q,ids",
    [
        ("tunnel", {1, 5}),
        ("Tunnels", {1, 5}),  # stemmed, any case
        ("resets", {1, 3, 4}),
        ("cafe", {2}),  # accents folded
        ('"password reset"', {3}),  # a phrase keeps its order
        ('"reset password"', {4}),  # "reset the password": stop words are skipped
        ("tunnel -printer", {1}),
        ('-"five minutes" tunnel', {5}),
        ("#vpn", {1}),
        ("＃VPN", {1}),
        ("tunnel -#vpn", {5}),
        ("@LEE", {2, 5}),
        ("incident:inc0000045", {3, 4}),
        ('service:"patient   records"', {3, 4}),
        ("service:vpn", {5}),
        ("priority:P1", {3, 4}),
        ("priority:3", {5}),
        ("since:2026-01-03", {3, 4, 5}),
        ("until:2026-01-02", {1, 2}),  # until a day includes that day
        ("since:2026-01-02 until:2026-01-03", {2, 3}),
        ("since:2026-01-03T12:30:00-01:00 until:2026-01-04", {4}),  # 13:30 UTC
        ("reset -#pwreset @kim", {4}),
        ("the tunnel", {1, 5}),  # stop words drop out
        ("error: tunnel", set()),  # unknown "name:" is plain text ("error")
        ("#2024 tunnel", set()),  # not a tag: plain text that matches nothing
    ],
)
def test_queries_find_what_they_say(searcher, q, ids):
    assert found(searcher, q) == ids


def test_a_tag_matches_its_whole_alias_group(searcher):
    group = {"pwreset": ["password_reset", "pwreset"]}
    assert found(searcher, "#pwreset", tag_keys=lambda k: group.get(k, [k])) == {3, 4}


def test_chips_name_each_filter_and_how_to_remove_it():
    parsed = parse('reset #vpn  @sam service:"Patient Records" -noise since:2026-01-01')
    chips = [(c.label, c.without) for c in parsed.chips]
    assert chips == [
        ("#vpn", 'reset @sam service:"Patient Records" -noise since:2026-01-01'),
        ("@sam", 'reset #vpn service:"Patient Records" -noise since:2026-01-01'),
        ("service Patient Records", "reset #vpn @sam -noise since:2026-01-01"),
        ("not noise", 'reset #vpn @sam service:"Patient Records" since:2026-01-01'),
        ("since 2026-01-01", 'reset #vpn @sam service:"Patient Records" -noise'),
    ]
    assert parsed.has_text and parsed.words == {"reset"}
    assert not parse("#vpn since:2026-01-01").has_text


@pytest.mark.parametrize(
    "q,message",
    [
        ("", "Type something"),
        ('"password reset', "quotation mark is not closed"),
        ('service:"Patient', "quotation mark is not closed"),
        ("priority:P9", "P1 to P5"),
        ("priority:high", "P1 to P5"),
        ("since:yesterday", "date like 2026-01-31"),
        ("until:2026-02-30", "date like 2026-01-31"),
        ("since:0001-01-01T00:00+01:00", "date like 2026-01-31"),  # before year 1 in UTC
        ("until:9999-12-31T23:00-01:00", "date like 2026-01-31"),  # after year 9999
        ("since:2026-02-01 until:2026-01-01", "later than until"),
        ("incident:", "needs a value"),
        ("-vpn", "as well as what to leave out"),
        ("the of and", "very common words"),
        ("x" * 501, "at most 500 characters"),
        (" ".join(["w"] * 31), "at most 30 terms"),
        ("-since:2026-01-01 vpn", "cannot be left out"),
    ],
)
def test_malformed_queries_get_a_clear_message(q, message):
    with pytest.raises(Refused, match=message):
        parse(q)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_parses_or_is_refused_with_a_message(q):
    try:
        parse(q)
    except Refused as refused:
        assert refused.message
