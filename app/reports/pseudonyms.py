"""Pseudonymising a report: people become P-01, P-02… (stable within the report, in the
order they first appear), incident numbers can become INC-A, INC-B…, and every real
username or display name left in any text (quoted notes, tags, team names) is replaced.

The last pass is deliberately blunt: it replaces each person's username, display name
and every part of it of three letters or more, as whole words and whatever the case,
wherever it occurs. A word that happens to be someone's name is masked too; a name that
slips through would not be.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import regex

PERSON_FIELDS = ("person", "follow_up", "members", "by", "experts")
# Times and fixed words: never names. Free text (what people wrote, readings of it) also
# loses first and last names said alone ("asked Maria").
FIXED_FIELDS = ("schema", "at", "from", "to", "generated")
FREE_TEXT = ("text", "reading", "why")


@dataclass
class Pseudonyms:
    people: dict[str, str] = field(default_factory=dict)  # username → P-01
    incidents: dict[str, str] = field(default_factory=dict)  # INC0000045 → INC-A

    def person(self, username: str) -> str:
        if username not in self.people:
            self.people[username] = f"P-{len(self.people) + 1:02d}"
        return self.people[username]

    def incident(self, number: str) -> str:
        if number not in self.incidents:
            self.incidents[number] = f"INC-{_letters(len(self.incidents))}"
        return self.incidents[number]


def _letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA…"""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def pseudonymise(
    document: dict,
    people: Iterable[tuple[str, str]],
    *,
    mask_incidents: bool,
    incident_pattern: str,
) -> tuple[dict, dict[str, str]]:
    """`document` with its people pseudonymised (and its incident numbers masked when
    asked), and who is who (pseudonym → username: kept inside I2I, never exported);
    `people` are (username, display name) of everyone who could appear."""
    names = Pseudonyms()
    known = {username: display for username, display in people}

    def walk(value, key: str | None = None):
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, str) and key in PERSON_FIELDS and value in known:
            return names.person(value)
        return value

    masked = walk(document)
    full = _pattern(_word_map(known, names, parts=False))
    parts = _pattern(_word_map(known, names, parts=True))
    incident = regex.compile(incident_pattern) if mask_incidents else None

    def scrub(value, key: str | None = None):
        if key in FIXED_FIELDS:
            return value
        if isinstance(value, dict):
            return {k: scrub(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v, key) for v in value]
        if not isinstance(value, str):
            return value
        words = parts if key in FREE_TEXT else full
        if words is not None:
            value = words[0].sub(lambda m: words[1][m.group(0).lower()], value)
        if incident is not None:
            value = incident.sub(lambda m: names.incident(m.group(0)), value)
        return value

    return scrub(masked), {pseudonym: username for username, pseudonym in names.people.items()}


def _word_map(known: dict[str, str], names: Pseudonyms, *, parts: bool) -> dict[str, str]:
    """Each name (lowercased) → the pseudonym of its person: usernames and whole display
    names, and with `parts` every word of a display name too (three letters or more, not
    a number). Everyone gets a pseudonym, in the order of usernames after those named."""
    found: dict[str, str] = {}
    for username, display in sorted(known.items()):
        pseudonym = names.person(username)
        words = [username, display] if display else [username]
        if parts and display:
            words += [w for w in display.split() if len(w) >= 3 and not w.isdigit()]
        for word in words:
            if any(c.isalpha() for c in word):
                found.setdefault(word.lower(), pseudonym)
    return found


def _pattern(words: dict[str, str]):
    """A regex finding any of `words` as whole words (not inside a longer word; "_"
    separates, so #ask_maria is masked too), with the map to their pseudonyms."""
    if not words:
        return None
    alternatives = "|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True))
    found = regex.compile(
        rf"(?<![\p{{L}}\p{{Nd}}])({alternatives})(?![\p{{L}}\p{{Nd}}])", regex.IGNORECASE
    )
    return found, words
