"""Searching notes: parse the query, run it on the index for one viewer, load the hits.

Visibility comes from the database at the moment of the search, not from what the index
was told when a document was written: a mask of the documents of the incidents hidden
from this viewer (`visibility.hidden_incidents`, by incident number) and of the notes
retracted since their documents were written (still queued for the index writer), so
counts never include a note the viewer may not see; the rows the hits are read from are
filtered again by the same rule. A missing or unreadable index makes search degraded,
not the page: the result says why and the rest of the site is untouched.

A searcher is opened afresh when the index has changed, never `refresh()`ed: Whoosh's
refresh reuses the readers of segments it already had, keyed by segment id, with the
deletions they had then (an edited note would still be found by its old words).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from markupsafe import Markup
from sqlalchemy import select
from whoosh import highlight
from whoosh.query import Or, Term

from app import tags, visibility
from app.clock import utcnow
from app.extensions import db
from app.feeds import NoteView, load_notes
from app.models import Note, SearchOutbox, User
from app.search import engine, facets
from app.search.index import Generation, Unavailable, current_generation, waiting_since
from app.search.query import ParsedQuery, parse
from app.search.schema import ANALYZER

PER_PAGE = 20
BEHIND = timedelta(seconds=30)  # the writer applies changes within a second or two
REFRESH_EVERY = 0.25  # seconds between checks for a newer index


@dataclass
class Hit:
    note: NoteView
    excerpt: Markup  # the note's text, escaped, with the matched words marked
    similar: list[facets.Row] = field(default_factory=list)  # near-identical ones folded in


@dataclass
class Results:
    query: ParsedQuery | None
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # every visible match
    page: int = 1
    pages: int = 0  # pages of groups
    order: str = "relevance"
    degraded: str | None = None  # why search is not whole, if it is not
    seconds: float = 0.0
    window: int = 0  # the best matches grouped and counted for facets
    groups: int = 0  # how many groups those make
    facets: list[facets.Facet] = field(default_factory=list)


MAX_MASKED_CHANGES = 10_000  # retracted notes still queued, masked one by one


def hidden_query(viewer: User):
    """The documents `viewer` may not find, or None: the notes of the incidents hidden from
    them, and notes retracted since their documents were written."""
    hidden = visibility.hidden_incidents(viewer)
    terms = [Term("incident", number) for number in sorted(hidden.numbers)]
    terms += [Term("id", str(note_id)) for note_id in _retracted_in_queue()]
    return Or(terms) if terms else None


def _retracted_in_queue() -> list[int]:
    """Notes retracted whose documents the index writer has not removed yet."""
    query = (
        select(Note.id)
        .join(SearchOutbox, SearchOutbox.note_id == Note.id)
        .where(SearchOutbox.applied_at.is_(None), Note.retracted_at.is_not(None))
        .distinct()
        .limit(MAX_MASKED_CHANGES)
    )
    return list(db.session.scalars(query))


def hidden_from(searcher, viewer: User) -> set[int] | None:
    """The document numbers `viewer` may not see (None when there are none): a mask of the
    few hidden notes rather than a filter of the many visible ones, so its cost does not
    grow with the index."""
    hidden = hidden_query(viewer)
    if hidden is None:
        return None
    return set(searcher.docs_for_query(hidden)) or None


def search(
    viewer: User,
    q: str,
    *,
    order: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
    window: int = facets.GROUP_WINDOW,
) -> Results:
    """One page of the notes matching `q` that `viewer` may see, near-identical notes
    folded into one, with facets to narrow by: both read from the best `window` matches
    (`app.search.facets`). A malformed query raises Refused with a message for the person
    who typed it."""
    started = time.perf_counter()
    parsed = parse(q, tag_keys=tags.alias_keys)
    order = order if order in ("relevance", "newest") else ""
    order = order or ("relevance" if parsed.has_text else "newest")
    results = Results(parsed, page=max(page, 1), order=order)
    try:
        generation, searcher = _searcher()
    except Unavailable as reason:
        results.degraded = f"Search is unavailable: {reason}. The rest of I2I works as usual."
        return results
    if generation.incomplete:
        results.degraded = (
            "Search is degraded: its index is being rebuilt, so some notes may be missing."
        )
    elif (behind := _behind()) is not None:
        results.degraded = (
            f"Search is behind by {behind}: notes posted or changed since may be missing "
            "or out of date here."
        )
    try:
        total, ids = _find(generation, searcher, viewer, parsed, order, 0, window)
    except Exception:  # the index changed under this searcher: once more with a fresh one
        forget_searchers()
        try:
            generation, searcher = _searcher()
            total, ids = _find(generation, searcher, viewer, parsed, order, 0, window)
        except Exception as error:
            results.degraded = f"Search is unavailable for a moment ({error}); try again."
            return results
    matches = facets.rows(ids, viewer)
    groups = facets.group_similar(matches)
    results.total, results.window, results.groups = total, len(matches), len(groups)
    results.pages = -(-len(groups) // per_page)
    shown = groups[(results.page - 1) * per_page : results.page * per_page]
    similar = {group.leader: group.similar for group in shown}
    notes = load_notes([group.leader for group in shown], viewer)
    results.hits = [Hit(n, excerpt(n.text, parsed), similar[n.id]) for n in notes]
    results.facets = facets.facets(matches, q)
    results.seconds = time.perf_counter() - started
    return results


def _behind() -> str | None:
    """How long the oldest change has waited for the index, when longer than BEHIND
    (the writer is stopped, or the index is locked), in words."""
    since = waiting_since()
    waited = utcnow() - since if since is not None else None
    if waited is None or waited < BEHIND:
        return None
    seconds = int(waited.total_seconds())
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"


def _find(generation, searcher, viewer, parsed, order, first, count) -> tuple[int, list[int]]:
    """How many notes match, and the ids of those from `first` on (at most `count`)."""
    found = engine.search(
        searcher,
        parsed.query,
        index=str(generation.path),
        hidden=hidden_from(searcher, viewer),
        newest=order == "newest",
        first=first,
        count=count,
    )
    return found.total, [int(searcher.stored_fields(d)["id"]) for d in found.docnums]


def excerpt(text: str, parsed: ParsedQuery) -> Markup:
    """The whole (short) note, escaped, with the searched words in <mark>."""
    terms = frozenset(parsed.words)
    if terms:
        formatter = highlight.HtmlFormatter(tagname="mark", classname="hit", between=" … ")
        fragmenter = highlight.WholeFragmenter(charlimit=None)
        marked = highlight.highlight(text, terms, ANALYZER, fragmenter, formatter)
        if marked:  # HtmlFormatter escapes the text around and inside the marks (tested)
            return Markup(marked)  # noqa: S704
    return Markup.escape(text)


_local = threading.local()


def _searcher():
    """This thread's searcher on the current generation, refreshed when it changed."""
    now = time.monotonic()
    cached = getattr(_local, "cached", None)
    if cached is not None and now - cached[2] < REFRESH_EVERY:
        return cached[0], cached[1]
    try:
        generation = current_generation()
        if cached is not None and cached[0].path == generation.path and cached[1].up_to_date():
            _local.cached = (generation, cached[1], now)
            return generation, cached[1]
        forget_searchers()
        searcher = _open(generation)
    except Exception as error:
        _local.cached = None
        if isinstance(error, Unavailable):
            raise
        raise Unavailable(f"the search index cannot be read ({error})") from error
    _local.cached = (generation, searcher, now)
    return generation, searcher


def _open(generation: Generation):
    ix = generation.open()
    try:
        return engine.prepare(ix.searcher(), str(generation.path))
    except Exception as error:
        raise Unavailable(f"the search index cannot be read ({error})") from error


def forget_searchers() -> None:
    """Drop this thread's cached searcher (tests that swap indexes under one thread)."""
    cached = getattr(_local, "cached", None)
    if cached is not None:
        cached[1].close()
        _local.cached = None
