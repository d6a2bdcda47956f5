"""What a page of search results is made of beyond the ranked notes: near-identical notes
folded into one ("and 12 similar notes"), and facets to narrow the search by (tag,
incident, service, person, date), each a term of the query language to add.

Both are read from the best GROUP_WINDOW matches in the order asked for (one light
statement over those notes), not from every match: a common word matches a tenth of a
million notes, and a page says when the window is smaller than the matches.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from app.clock import utcnow
from app.extensions import db
from app.models import Hashtag, Incident, Note, NoteTag, User
from app.text import DEFAULT_INCIDENT_PATTERN
from app.visibility import viewer_params, visible_notes_clause

GROUP_WINDOW = 300
FACET_VALUES = 6

# What is cut before comparing two notes: links, tags, mentions, incident numbers,
# numbers, punctuation. "Ward 3 lost Wi-Fi #wifi" and "ward 7 lost wi-fi!" read alike.
_NOISE = re.compile(
    rf"https?://\S+|[#＃@]\S+|{DEFAULT_INCIDENT_PATTERN}|\d+|[^\w\s]|_", re.IGNORECASE
)


def likeness(text: str) -> str:
    """What near-identical notes share: their words, lowercased, without the details."""
    words = _NOISE.sub(" ", text.lower()).split()
    return " ".join(words) or text


@dataclass(frozen=True)
class Row:
    """A matching note as grouping and facets need it."""

    id: int
    text: str
    author: str
    sort_at: datetime
    incident: str | None
    incident_title: str | None
    service: str | None
    tags: tuple[tuple[str, str], ...] = ()  # (key, display) of its canonical tags


@dataclass
class Group:
    leader: int  # the note shown: the best (or newest) of the group
    similar: list[Row] = field(default_factory=list)  # the others, in the same order


@dataclass(frozen=True)
class FacetValue:
    label: str
    token: str  # what it adds to the query
    count: int


@dataclass(frozen=True)
class Facet:
    name: str
    values: tuple[FacetValue, ...]


# Built once (only the values change), so SQLAlchemy reuses their compiled form.
_Incident = aliased(Incident)  # the visibility clause has its own Incident to test
_ROWS = (
    select(
        Note.id,
        Note.text,
        User.username,
        Note.sort_at,
        _Incident.number,
        _Incident.title,
        _Incident.service,
    )
    .join(User, User.id == Note.author_id)
    .outerjoin(_Incident, _Incident.id == Note.incident_id)
    .where(Note.id.in_(bindparam("ids", expanding=True)), visible_notes_clause(None))
)
_TAGS = (
    select(NoteTag.note_id, Hashtag.key, Hashtag.display)
    .join(Hashtag, Hashtag.id == NoteTag.tag_id)
    .where(NoteTag.note_id.in_(bindparam("ids", expanding=True)))
)


def rows(ids: list[int], viewer) -> list[Row]:
    """The notes with these ids (those `viewer` may see), in the order given."""
    if not ids:
        return []
    tagged: dict[int, list[tuple[str, str]]] = {}
    for note_id, key, display in db.session.execute(_TAGS, {"ids": ids}):
        tagged.setdefault(note_id, []).append((key, display))
    found = {
        r[0]: Row(*r, tags=tuple(sorted(tagged.get(r[0], ()))))
        for r in db.session.execute(_ROWS, {"ids": ids} | viewer_params(viewer))
    }
    return [found[i] for i in ids if i in found]


def group_similar(matches: list[Row]) -> list[Group]:
    """Near-identical notes (same `likeness`) as one group each, in the order of their
    first member."""
    groups: dict[str, Group] = {}
    for row in matches:
        key = likeness(row.text)
        if key in groups:
            groups[key].similar.append(row)
        else:
            groups[key] = Group(row.id)
    return list(groups.values())


def facets(matches: list[Row], q: str, now: datetime | None = None) -> list[Facet]:
    """The values to narrow by, most frequent first, each with how many of `matches` it
    keeps; values the query already filters by are left out."""
    have = q.lower()
    tags = Counter((key, display) for r in matches for key, display in r.tags)
    people = Counter(r.author for r in matches)
    incidents = Counter((r.incident, r.incident_title) for r in matches if r.incident)
    services = Counter(r.service for r in matches if r.service)
    found = [
        Facet("Tag", _top(((f"#{d}", f"#{k}", n) for (k, d), n in tags.items()), have)),
        Facet(
            "Incident",
            _top(((f"{i} {t}", f"incident:{i}", n) for (i, t), n in incidents.items()), have),
        ),
        Facet(
            "Service",
            _top(((s, f'service:"{s}"', n) for s, n in services.items()), have),
        ),
        Facet("Person", _top(((f"@{p}", f"@{p}", n) for p, n in people.items()), have)),
        Facet("Date", _dates(matches, have, now or utcnow())),
    ]
    return [facet for facet in found if facet.values]


def _top(values, have: str) -> tuple[FacetValue, ...]:
    kept = [FacetValue(label, token, n) for label, token, n in values if token.lower() not in have]
    kept.sort(key=lambda v: (-v.count, v.label.lower()))
    return tuple(kept[:FACET_VALUES])


PERIODS = (("Last 24 hours", timedelta(days=1)), ("Last 7 days", timedelta(days=7)))
PERIODS += (("Last 30 days", timedelta(days=30)),)


def _dates(matches: list[Row], have: str, now: datetime) -> tuple[FacetValue, ...]:
    if "since:" in have:
        return ()
    values = []
    for label, span in PERIODS:
        start = now - span
        count = sum(1 for r in matches if r.sort_at >= start)
        if 0 < count < len(matches):  # a period that narrows something
            values.append(FacetValue(label, f"since:{start:%Y-%m-%dT%H:%M}", count))
    return tuple(values)
