"""Searching notes: parse the query, run it on the index for one viewer, load the hits.

Visibility is applied twice: inside the index (a mask on each document's `scope`, so
counts never include notes the viewer may not see) and again on the database rows the
hits are read from (so a document not yet updated never shows a note that has since been
retracted or restricted). A missing or unreadable index makes search degraded, not the
page: the result says why and the rest of the site is untouched.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from markupsafe import Markup
from sqlalchemy import select
from whoosh import highlight
from whoosh.query import AndNot, Or, Prefix, Term

from app import tags
from app.extensions import db
from app.feeds import NoteView, load_notes
from app.models import Incident, IncidentMember, User, utcnow
from app.search import engine
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


@dataclass
class Results:
    query: ParsedQuery | None
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 0
    order: str = "relevance"
    degraded: str | None = None  # why search is not whole, if it is not
    seconds: float = 0.0


def hidden_query(viewer: User):
    """The documents `viewer` may not find: restricted incidents' notes (scope "inc:<id>")
    but for the incidents they are on; None for admins."""
    if viewer.role == "admin":
        return None
    member = (
        select(Incident.id)
        .join(IncidentMember, IncidentMember.incident_id == Incident.id)
        .where(Incident.restricted.is_(True), IncidentMember.user_id == viewer.id)
    )
    theirs = [Term("scope", f"inc:{incident_id}") for incident_id in db.session.scalars(member)]
    restricted = Prefix("scope", "inc:")
    return AndNot(restricted, Or(theirs)) if theirs else restricted


def hidden_from(searcher, viewer: User) -> set[int] | None:
    """The document numbers `viewer` may not see (None when there are none): a mask of the
    few hidden notes rather than a filter of the many visible ones, so its cost does not
    grow with the index."""
    hidden = hidden_query(viewer)
    if hidden is None:
        return None
    return set(searcher.docs_for_query(hidden)) or None


def search(
    viewer: User, q: str, *, order: str = "", page: int = 1, per_page: int = PER_PAGE
) -> Results:
    """One page of the notes matching `q` that `viewer` may see. A malformed query raises
    Refused with a message for the person who typed it."""
    started = time.perf_counter()
    engine.configure(current_app.config["I2I_SEARCH_CACHE_MB"])
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
    first = (results.page - 1) * per_page
    try:
        total, ids = _find(generation, searcher, viewer, parsed, order, first, per_page)
    except Exception:  # the index changed under this searcher: once more with a fresh one
        forget_searchers()
        try:
            generation, searcher = _searcher()
            total, ids = _find(generation, searcher, viewer, parsed, order, first, per_page)
        except Exception as error:
            results.degraded = f"Search is unavailable for a moment ({error}); try again."
            return results
    results.total, results.pages = total, -(-total // per_page)
    notes = load_notes(ids, visible_to=viewer)
    results.hits = [Hit(note, excerpt(note.text, parsed)) for note in notes]
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
        if cached is not None and cached[0].path == generation.path:
            searcher = engine.prepare(cached[1].refresh(), str(generation.path))
        else:
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
