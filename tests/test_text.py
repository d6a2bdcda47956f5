"""The note text grammar: hashtags (Mastodon's rules), mentions, references, URLs, rendering."""

from __future__ import annotations

import re
import time

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from app.text import (
    extract_hashtags,
    extract_incident_refs,
    extract_mentions,
    is_valid_tag_name,
    normalize_tag,
    render_note,
    unique_hashtags,
)


def tags(text: str) -> list[str]:
    return [t.display for t in extract_hashtags(text)]


def render(text: str, **kwargs) -> str:
    return str(
        render_note(
            text,
            tag_url=lambda t: f"/tags/{t.key}",
            user_url=lambda u: f"/u/{u}",
            incident_url=lambda n: f"/incidents/{n}",
            **kwargs,
        )
    )


@pytest.mark.parametrize(
    "text,expected",
    [
        ("hello #3d", ["3d"]),
        ("#one·two·three·", ["one·two·three"]),
        ("#0123456", []),
        ("https://x.org/page#Anchor", []),
        ("see ＃ＶＰＮ now", ["ＶＰＮ"]),
        ("outage on #हिन्दी hosts", ["हिन्दी"]),
        ("#db-slow", ["db"]),
        ("a#b", []),
        ("(#tag)", []),
        ("#tag.", ["tag"]),
        ("#tag,#other", ["tag"]),
        ("#café", ["café"]),
        ("#pw_reset\n#SSO\t#2fa", ["pw_reset", "SSO", "2fa"]),
        ("#·dot", []),
        ("#a\u200cb", ["a\u200cb"]),
    ],
)
def test_hashtags_follow_mastodons_grammar(text, expected):
    assert tags(text) == expected


@pytest.mark.parametrize(
    "name,key",
    [
        ("ＶＰＮ", "vpn"),
        ("BLÅHAJ", "blahaj"),
        ("café", "cafe"),
        ("हिन्दी", "हिन्दी"),
        ("PasswordReset", "passwordreset"),
        ("Straße", "straße"),
        ("one·two", "one·two"),
    ],
)
def test_normalised_key(name, key):
    assert normalize_tag(name) == key


def test_one_key_per_note_keeps_the_first_spelling():
    assert [t.display for t in unique_hashtags("#PwReset #pwreset #PWRESET #other")] == [
        "PwReset",
        "other",
    ]


@pytest.mark.parametrize(
    "name,valid",
    [
        ("password_reset", True),
        ("2024", False),
        ("db-slow", False),
        ("", False),
        ("two words", False),
        ("<b>", False),
        ("Ünïcödé", True),
    ],
)
def test_tag_names_typed_in_forms_are_validated(name, valid):
    assert is_valid_tag_name(name) is valid


@pytest.mark.parametrize(
    "text,expected",
    [
        ("thanks @bob.", ["bob"]),
        ("@Lee can you look", ["lee"]),
        ("mail bob@example.com", []),
        ("https://x.org/@alice", []),
        ("@a is too short", []),
        ("@" + "x" * 31 + " is too long", []),
        ("@mary.jones and @ops-team, @mary.jones", ["mary.jones", "ops-team"]),
    ],
)
def test_mentions(text, expected):
    assert extract_mentions(text) == expected


def test_incident_references_are_whole_words_and_configurable():
    text = "see INC0000045, XINC0000045, INC00000456 and (INC1234567) INC0000045"
    assert extract_incident_refs(text) == ["INC0000045", "INC1234567"]
    assert extract_incident_refs("CHG0001 and INC0000045", r"CHG\d{4}") == ["CHG0001"]


def test_rendering_links_tags_known_mentions_references_and_urls():
    html = render(
        "Reset loop #PwReset @sam @ghost INC0000045 https://wiki.example/a_(b)).\nok",
        known_users={"sam"},
        known_incidents={"INC0000045"},
    )
    assert '<a href="/tags/pwreset" class="tag" rel="tag"><bdi>#PwReset</bdi></a>' in html
    assert '<a href="/u/sam" class="mention"><bdi>@sam</bdi></a>' in html and "@ghost" in html
    assert 'href="/u/ghost"' not in html
    assert '<a href="/incidents/INC0000045" class="incident-ref">' in html
    assert 'href="https://wiki.example/a_(b)"' in html and "</a>).<br>ok" in html


def test_unknown_incident_is_marked_but_not_linked():
    assert '<span class="incident-ref">INC0000099</span>' in render(
        "INC0000099", known_incidents=set()
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "javascript:alert(1) #tag",
        'https://x.org/"><svg onload=alert(1)>',
        "https://x.org/?q=<b>&x='y'",
    ],
)
def test_hostile_text_renders_inert(hostile):
    html = render(hostile)
    assert not re.search(r"<(?!/?(a|bdi|span|br)\b)", html), html
    assert 'href="javascript' not in html


def test_bidi_controls_cannot_escape_a_url():
    html = render("https://x.org/\u202egnp.exe done")
    assert "\u202e" not in html.split("</a>")[0]


def test_ten_thousand_emoji_render_quickly():
    started = time.perf_counter()
    render("🔥" * 10_000 + " #fire")
    assert time.perf_counter() - started < 1.0


ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=300)
TAG_SEEDS = st.text(st.sampled_from("#＃ aZé·・\u200c_-1@.<>&\"'\u202e\u0301हि\n"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, TAG_SEEDS))
def test_parsing_never_raises_and_tokens_are_consistent(text):
    for token in extract_hashtags(text):
        assert text[token.start : token.end][1:] == token.display
        assert token.key == normalize_tag(token.display) and regex.search(r"\p{L}", token.key)
    extract_mentions(text)
    extract_incident_refs(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, TAG_SEEDS))
def test_normalisation_is_idempotent(text):
    assert normalize_tag(normalize_tag(text)) == normalize_tag(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, TAG_SEEDS))
def test_rendering_never_emits_an_unescaped_angle_bracket_from_the_input(text):
    html = render(text)
    stripped = re.sub(
        r'<a href="[^"<>]*" class="[a-z-]+"( rel="[a-z ]+")?>|</a>|<bdi>|</bdi>'
        r'|<span class="incident-ref">|</span>|<br>',
        "",
        html,
    )
    assert "<" not in stripped
