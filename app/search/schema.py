"""What the search index holds for each note, and how note text is cut into words.

Text is split into words, lowercased, stripped of accents (so "cafe" finds "café"),
stop words dropped and English-stemmed (so "resets" finds "reset"); neighbouring words
are also kept as pairs, for phrases. Everything else is an exact value for filtering:
tag keys (normalised as in `app.text`), author, incident number, service, priority,
time. Who may see a note is not kept here: the finder masks hidden notes by asking
`app.visibility` at search time, so a change of restriction needs no re-index.
"""

from __future__ import annotations

from datetime import UTC, datetime

from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    ShingleFilter,
    StemFilter,
    StopFilter,
)
from whoosh.fields import DATETIME, ID, KEYWORD, TEXT, Schema
from whoosh.support.charset import accent_map

ANALYZER = (
    RegexTokenizer()
    | LowercaseFilter()
    | CharsetFilter(accent_map)
    | StopFilter()
    | StemFilter(cachesize=50_000)
)

# Each two neighbouring words of the text as one term ("statu resolv"): a phrase is then
# looked up like a word, instead of checking word positions note by note.
PAIRS = ANALYZER | ShingleFilter(size=2, sep=" ")

SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    text=TEXT(analyzer=ANALYZER, phrase=False),
    pairs=TEXT(analyzer=PAIRS, phrase=False),
    tags=KEYWORD(lowercase=False, scorable=True),
    author=ID,
    incident=ID,
    service=ID,
    priority=ID,
    at=DATETIME(sortable=True),
    stamp=ID(stored=True),  # a digest of the rest, for `i2i search verify`
)


def service_value(name: str) -> str:
    return " ".join(name.split()).lower()


def document(
    *,
    note_id: int,
    text: str,
    tags: list[str],
    author: str,
    incident: str | None,
    service: str | None,
    priority: int | None,
    at: datetime,
) -> dict:
    """The fields of one note's document (values absent when unknown)."""
    fields = {
        "id": str(note_id),
        "text": text,
        "pairs": text,
        "tags": " ".join(tags),
        "author": author.lower(),
        "at": at.astimezone(UTC).replace(tzinfo=None),
    }
    if incident:
        fields["incident"] = incident.upper()
    if service:
        fields["service"] = service_value(service)
    if priority:
        fields["priority"] = str(priority)
    return fields
