"""The search query language of DESIGN §6, parsed into a Whoosh query.

    words  "a phrase"  #tag  @user  incident:INC0000045  service:NAME  service:"Two Words"
    priority:P1  since:2026-01-01  until:2026-01-31  -word  -"phrase"  -#tag

Everything is ANDed. Words and phrases go through the index's analyzer (so stop words
drop out and stems match). A `#tag` matches every key of its alias group (the caller
says which, `tag_keys`). `word:value` with an unknown name is plain text: people search
for "error: timeout" and paste URLs. Malformed input raises `Refused` with a sentence
for the person who typed it; nothing else escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from whoosh.query import And, DateRange, Not, Or, Query, Term

from app.errors import Refused
from app.search.schema import ANALYZER, service_value
from app.text import LETTER, normalize_tag

MAX_LENGTH, MAX_TERMS = 500, 30
FILTERS = ("incident", "service", "priority", "since", "until")
# One token: an optional "-", then name:"quoted value", a "phrase" (maybe unclosed), or a run
# of non-space characters.
TOKEN = re.compile(r'(-?)(?:([A-Za-z]+):"([^"]*)"|"([^"]*)("?)|(\S+))')
PRIORITY = re.compile(r"[pP]?([1-5])")
USERNAME = re.compile(r"[a-z0-9_.\-]{2,30}")


@dataclass(frozen=True)
class Chip:
    """A filter as the page shows it, and the query without it (to remove it)."""

    label: str
    without: str


@dataclass(frozen=True)
class ParsedQuery:
    query: Query
    words: frozenset[str] = frozenset()  # analysed positive words, for highlighting
    chips: tuple[Chip, ...] = ()
    has_text: bool = False  # words or phrases to rank by (else newest first)
    until: datetime | None = None  # the until: filter, if any


@dataclass
class _Parts:
    positive: list[Query] = field(default_factory=list)
    negative: list[Query] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    chips: list[Chip] = field(default_factory=list)
    has_text: bool = False
    since: datetime | None = None
    until: datetime | None = None


def parse(q: str, *, tag_keys: Callable[[str], list[str]] | None = None) -> ParsedQuery:
    """Parse a query typed into the search box (see the module doc)."""
    q = (q or "").strip()
    if not q:
        raise Refused("Type something to search for.")
    if len(q) > MAX_LENGTH:
        raise Refused(f"A search is at most {MAX_LENGTH} characters.")
    matches = list(TOKEN.finditer(q))
    if len(matches) > MAX_TERMS:
        raise Refused(f"A search has at most {MAX_TERMS} terms.")
    parts = _Parts()
    for match in matches:
        _add(parts, q, match, tag_keys or (lambda key: [key]))
    if parts.since and parts.until and parts.since > parts.until:
        raise Refused("since: is later than until:, so nothing can match.")
    if parts.since or parts.until:
        parts.positive.append(DateRange("at", parts.since, parts.until))
    if not parts.positive:
        if parts.negative:
            raise Refused("Say what to search for as well as what to leave out.")
        raise Refused("Only very common words (like “the”); add a more specific one.")
    query = And(parts.positive + [Not(n) for n in parts.negative])
    query = parts.positive[0] if len(parts.positive) == 1 and not parts.negative else query
    return ParsedQuery(
        query, frozenset(parts.words), tuple(parts.chips), parts.has_text, parts.until
    )


def _add(parts: _Parts, q: str, match: re.Match, tag_keys) -> None:
    negated, name, quoted_value, phrase, closing, bare = match.groups()
    if phrase is not None:
        if not closing:
            raise Refused("A quotation mark is not closed.")
        _text(parts, phrase, negated, q, match, f'"{phrase}"')
        return
    if name is not None and name.lower() in FILTERS:
        _filter(parts, q, match, name.lower(), quoted_value, negated)
        return
    if name is not None:  # unknown:"quoted" is plain text
        _text(parts, f"{name} {quoted_value}", negated, q, match, match.group(0))
        return
    if ":" in bare:
        key, _, value = bare.partition(":")
        if key.lower() in FILTERS:
            if value.startswith('"'):
                raise Refused("A quotation mark is not closed.")
            _filter(parts, q, match, key.lower(), value, negated)
            return
    if bare[0] in "#＃" and _tag(parts, q, match, bare[1:], negated, tag_keys):
        return
    if bare[0] == "@" and USERNAME.fullmatch(bare[1:].lower()):
        label = f"@{bare[1:].lower()}"
        _chip(parts, q, match, Term("author", bare[1:].lower()), negated, label)
        return
    _text(parts, bare, negated, q, match, bare)


def _text(parts: _Parts, text: str, negated: str, q: str, match: re.Match, label: str) -> None:
    words = [token.text for token in ANALYZER(text)]
    if not words:
        return  # only stop words
    query = Term("text", words[0]) if len(words) == 1 else phrase(words)
    if negated:
        parts.negative.append(query)
        parts.chips.append(Chip(f"not {label}", _without(q, match)))
    else:
        parts.positive.append(query)
        parts.words.update(words)
        parts.has_text = True


def phrase(words: list[str]) -> Query:
    """Words that follow one another: each neighbouring pair is one term of the `pairs`
    field (see app.search.schema), so a phrase costs what a word costs. Exact for two
    words; for more, a note holding every pair of the phrase somewhere matches too."""
    pairs = [Term("pairs", f"{a} {b}") for a, b in zip(words, words[1:], strict=False)]
    return pairs[0] if len(pairs) == 1 else And(pairs)


def _tag(parts: _Parts, q: str, match: re.Match, body: str, negated: str, tag_keys) -> bool:
    key = normalize_tag(body)
    if not key or not LETTER.search(key):
        return False  # "#2024" or a lone "#": plain text
    keys = tag_keys(key) or [key]
    query = Term("tags", keys[0]) if len(keys) == 1 else Or([Term("tags", k) for k in keys])
    _chip(parts, q, match, query, negated, f"#{body}")
    return True


def _filter(parts: _Parts, q: str, match: re.Match, name: str, value: str, negated: str) -> None:
    value = value.strip()
    if not value:
        raise Refused(f"{name}: needs a value, e.g. {_EXAMPLES[name]}.")
    if name in ("since", "until"):
        if negated:
            raise Refused(f"-{name}: cannot be left out; use since: or until: instead.")
        moment = _moment(name, value)
        if name == "since":
            parts.since = moment
        else:
            parts.until = moment
        parts.chips.append(Chip(f"{name} {value}", _without(q, match)))
        return
    if name == "incident":
        query, label = Term("incident", value.upper()), f"incident {value.upper()}"
    elif name == "service":
        query, label = Term("service", service_value(value)), f"service {value}"
    else:
        found = PRIORITY.fullmatch(value)
        if found is None:
            raise Refused("priority: takes P1 to P5.")
        query, label = Term("priority", found[1]), f"P{found[1]}"
    _chip(parts, q, match, query, negated, label)


_EXAMPLES = {
    "incident": "incident:INC0000045",
    "service": 'service:VPN or service:"Patient records"',
    "priority": "priority:P1",
    "since": "since:2026-01-31",
    "until": "until:2026-01-31",
}


def _chip(parts: _Parts, q: str, match: re.Match, query: Query, negated: str, label: str) -> None:
    if negated:
        parts.negative.append(query)
        label = f"not {label}"
    else:
        parts.positive.append(query)
    parts.chips.append(Chip(label, _without(q, match)))


def _moment(name: str, value: str) -> datetime:
    """since: starts at the beginning of its day (or moment); until: ends at the end of it."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime.combine(day, time.min)
            return start if name == "since" else start + timedelta(days=1, microseconds=-1)
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):  # not a date, or one past the calendar's ends
        raise Refused(f"{name}: takes a date like 2026-01-31.") from None
    return moment


def _without(q: str, match: re.Match) -> str:
    return " ".join((q[: match.start()] + " " + q[match.end() :]).split())
