"""The one place note text is parsed and rendered: hashtags, mentions, incident references, URLs.

Hashtags follow Mastodon's current grammar (app/models/tag.rb, HASHTAG_RE), the rules
users already know: a tag starts the text or follows whitespace, begins with `#` or the
fullwidth `＃`, holds letters, combining marks, decimal digits and `_`, may contain the
separators `·`, `・` and ZWNJ inside (not at either end), and needs at least one letter.
Python's `re` misses combining marks in `\\w`, so this uses the `regex` module.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Container
from functools import lru_cache
from typing import NamedTuple

import regex
from markupsafe import Markup, escape

DEFAULT_INCIDENT_PATTERN = r"INC\d{7}"
SEPARATORS = "·・\u200c"
_BODY = r"[\p{L}\p{M}\p{Nd}\p{Pc}]"
# body chars, with separators allowed only between body chars
_TAG_NAME = rf"{_BODY}(?:[{SEPARATORS}]*{_BODY})*"
HASHTAG = regex.compile(rf"(?:(?<=^)|(?<=\s))[#＃]({_TAG_NAME})")
LETTER = regex.compile(r"\p{L}")
NOT_KEY = regex.compile(rf"[^\p{{L}}\p{{M}}\p{{Nd}}\p{{Pc}}{SEPARATORS}]")
LATIN = regex.compile(r"\p{Script=Latin}")
# A mention starts the text or follows a character that cannot be part of a name, an
# e-mail address or a URL path; the name is 2–30 of [a-z0-9_.-] and cannot end in . or -.
MENTION = regex.compile(
    r"(?<![\p{L}\p{Nd}_.\-@/])@([a-z0-9_.\-]{1,30}(?<![.\-]))(?![a-z0-9_]|[.\-][a-z0-9_])",
    regex.IGNORECASE,
)
URL = regex.compile(r"\bhttps?://[^\s<>\"'`]+", regex.IGNORECASE)
URL_TRAILING = ".,;:!?'\""
BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
)


class TagToken(NamedTuple):  # a tuple: cheap to send between processes (bulk imports)
    display: str
    key: str
    start: int  # offsets in the original text; the span includes the # sign
    end: int


@lru_cache(maxsize=65_536)  # tags repeat (Zipf): imports normalise the same few again and again
def normalize_tag(name: str) -> str:
    """The lookup key of a tag: NFKC, lowercase, Latin diacritics removed, stray marks dropped.

    `lower()` rather than `casefold()`: casefold turns ß into ss, which would merge tags
    German speakers keep apart. Only Latin letters lose their diacritics (BLÅHAJ → blahaj);
    marks on other scripts (Devanagari vowel signs) carry meaning and stay. The steps
    repeat until nothing changes, so a key is always its own key.
    """
    text = name
    for _ in range(8):  # reaches a fixed point in one or two passes in practice
        again = _normalize_once(text)
        if again == text:
            break
        text = again
    return text


def _normalize_once(text: str) -> str:
    text = NOT_KEY.sub("", unicodedata.normalize("NFKC", text).lower())
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char).startswith("M") and kept and LATIN.match(kept[-1]):
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _tag_tokens(text: str, start: int = 0, end: int | None = None) -> list[TagToken]:
    tokens = []
    for match in HASHTAG.finditer(text, start, len(text) if end is None else end):
        display = match.group(1)
        key = normalize_tag(display)
        if LETTER.search(display) and key and LETTER.search(key):
            tokens.append(TagToken(display, key, match.start(), match.end()))
    return tokens


def extract_hashtags(text: str) -> list[TagToken]:
    """Every hashtag in `text`, in order (outside URLs: `https://x.org/#Anchor` is no tag)."""
    return _hashtags(text, _text_runs(text))


def _hashtags(text: str, runs: list[tuple[int, int]]) -> list[TagToken]:
    return [token for start, end in runs for token in _tag_tokens(text, start, end)]


def _first_of_each_key(tokens: list[TagToken]) -> list[TagToken]:
    seen: set[str] = set()
    unique = []
    for token in tokens:
        if token.key not in seen:
            seen.add(token.key)
            unique.append(token)
    return unique


def unique_hashtags(text: str) -> list[TagToken]:
    """The first occurrence of each distinct tag key, in order."""
    return _first_of_each_key(extract_hashtags(text))


def is_valid_tag_name(name: str) -> bool:
    """Whether `#name` on its own is exactly one tag (for names typed into forms)."""
    tokens = _tag_tokens("#" + name)
    return len(tokens) == 1 and tokens[0].display == name


def extract_mentions(text: str) -> list[str]:
    """Distinct @usernames (lowercased) in order of first appearance, outside URLs."""
    return _mentions(text, _text_runs(text))


def _mentions(text: str, runs: list[tuple[int, int]]) -> list[str]:
    names: list[str] = []
    for start, end in runs:
        for match in MENTION.finditer(text, start, end):
            name = match.group(1).lower()
            if len(name) >= 2 and name not in names:
                names.append(name)
    return names


@lru_cache(maxsize=16)
def _incident_regex(pattern: str) -> regex.Pattern:
    return regex.compile(rf"(?<![\p{{L}}\p{{Nd}}_])(?:{pattern})(?![\p{{L}}\p{{Nd}}_])")


def extract_incident_refs(text: str, pattern: str = DEFAULT_INCIDENT_PATTERN) -> list[str]:
    """Distinct incident numbers written anywhere in the text (outside URLs), in order."""
    return _incident_refs(text, _text_runs(text), pattern)


def _incident_refs(text: str, runs: list[tuple[int, int]], pattern: str) -> list[str]:
    numbers: list[str] = []
    for start, end in runs:
        for match in _incident_regex(pattern).finditer(text, start, end):
            if match.group(0) not in numbers:
                numbers.append(match.group(0))
    return numbers


class NoteText(NamedTuple):
    """What a note's text links to: each distinct tag (first spelling), @names, incidents."""

    tags: tuple[TagToken, ...]
    mentions: tuple[str, ...]
    refs: tuple[str, ...]


def read_note(text: str, pattern: str = DEFAULT_INCIDENT_PATTERN) -> NoteText:
    """Tags, mentions and incident references of a note in one pass over its URLs
    (the same answers as `unique_hashtags`, `extract_mentions`, `extract_incident_refs`)."""
    runs = _text_runs(text)
    return NoteText(
        tuple(_first_of_each_key(_hashtags(text, runs))),
        tuple(_mentions(text, runs)),
        tuple(_incident_refs(text, runs, pattern)),
    )


def _text_runs(text: str) -> list[tuple[int, int]]:
    return [(start, end) for kind, start, end, _ in _segments(text) if kind == "text"]


def _trim_url(url: str) -> str:
    while url:
        unbalanced = url[-1] == ")" and url.count("(") < url.count(")")
        if url[-1] in URL_TRAILING or unbalanced:
            url = url[:-1]
        else:
            break
    return url


def _segments(text: str) -> list[tuple[str, int, int, str]]:
    """Split text into ("url", start, end, url) and ("text", start, end, "") runs."""
    if "://" not in text:  # most notes hold no URL
        return [("text", 0, len(text), "")] if text else []
    segments, position = [], 0
    for match in URL.finditer(text):
        url = _trim_url(match.group(0))
        if len(url) <= len(match.group(0).split("://")[0]) + 3:
            continue
        start, end = match.start(), match.start() + len(url)
        if start > position:
            segments.append(("text", position, start, ""))
        segments.append(("url", start, end, url))
        position = end
    if position < len(text):
        segments.append(("text", position, len(text), ""))
    return segments


def render_note(
    text: str,
    *,
    tag_url: Callable[[TagToken], str],
    user_url: Callable[[str], str],
    incident_url: Callable[[str], str],
    known_users: Container[str] | None = None,
    known_incidents: Container[str] | None = None,
    pattern: str = DEFAULT_INCIDENT_PATTERN,
) -> Markup:
    """Escape the note and link its tags, known mentions, references and http(s) URLs.

    Each link's text sits in <bdi>, so a right-to-left override inside a token cannot
    reorder the text around it; the caller wraps the note in an element with dir="auto".
    """
    parts: list[str] = []
    for kind, start, end, url in _segments(text):
        if kind == "url":
            clean = url.translate(BIDI_CONTROLS)
            parts.append(
                f'<a href="{escape(clean)}" class="url" rel="nofollow noopener noreferrer">'
                f"<bdi>{escape(clean)}</bdi></a>"
            )
        else:
            parts.append(
                _render_text(
                    text,
                    start,
                    end,
                    tag_url,
                    user_url,
                    incident_url,
                    known_users,
                    known_incidents,
                    pattern,
                )
            )
    return Markup("".join(parts))  # noqa: S704 - every part was escaped above


def _render_text(
    text, start, end, tag_url, user_url, incident_url, known_users, known_incidents, pattern
) -> str:
    links: list[tuple[int, int, str]] = []
    for token in _tag_tokens(text, start, end):
        links.append(
            (
                token.start,
                token.end,
                f'<a href="{escape(tag_url(token))}" class="tag" rel="tag">'
                f"<bdi>#{escape(token.display)}</bdi></a>",
            )
        )
    for match in MENTION.finditer(text, start, end):
        name = match.group(1).lower()
        if len(name) >= 2 and (known_users is None or name in known_users):
            links.append(
                (
                    match.start(),
                    match.end(),
                    f'<a href="{escape(user_url(name))}" class="mention">'
                    f"<bdi>@{escape(match.group(1))}</bdi></a>",
                )
            )
    for match in _incident_regex(pattern).finditer(text, start, end):
        number = match.group(0)
        if known_incidents is None or number in known_incidents:
            html = (
                f'<a href="{escape(incident_url(number))}" class="incident-ref">'
                f"<bdi>{escape(number)}</bdi></a>"
            )
        else:
            html = f'<span class="incident-ref">{escape(number)}</span>'
        links.append((match.start(), match.end(), html))
    links.sort()
    out, position = [], start
    for link_start, link_end, html in links:
        if link_start < position:  # overlaps an earlier token: the earlier one wins
            continue
        out.append(_plain(text[position:link_start]))
        out.append(html)
        position = link_end
    out.append(_plain(text[position:end]))
    return "".join(out)


def _plain(chunk: str) -> str:
    return str(escape(chunk)).replace("\n", "<br>")


def hashtag_for(name: str) -> str:
    """A CamelCase hashtag for a name ("Git Operations" → "#GitOperations"), or "" if none."""
    words = regex.findall(r"[\p{L}\p{Nd}]+", name)
    tag = "#" + "".join(w[:1].upper() + w[1:] for w in words) if words else ""
    return tag if is_valid_tag_name(tag[1:]) else ""
