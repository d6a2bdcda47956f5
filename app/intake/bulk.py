"""Writing many notes at once, for imports: the rows `notes.post_note` writes, in bulk.

Posting one note runs about sixteen statements; importing thousands that way spends its
time in per-statement overhead. Here each kind of row (notes, tags, spellings,
counts, mentions, notifications, references, home timelines) is written with one
multi-row statement per batch. A test checks that a bulk import and the same notes
posted one by one leave the same rows behind.
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import insert, select, text

from app import tag_hours
from app.database import (
    add_to_counters,
    increment_each,
    insert_ignoring_duplicates,
    insert_rows,
    write_transaction,
)
from app.extensions import db
from app.models import (
    Follow,
    Hashtag,
    Incident,
    IncidentRef,
    Mention,
    Note,
    NoteTag,
    Notification,
    Service,
    TagAuthor,
    TagSpelling,
    TimelineEntry,
    User,
)
from app.notes import check_occurred_at, clean_text
from app.search import outbox
from app.text import DEFAULT_INCIDENT_PATTERN, NoteText, read_note
from app.visibility import Access, counts_as_reply

# Core tables, not ORM classes: a multi-row insert then runs as one executemany without
# the ORM's per-row bookkeeping (several times faster for imports).
NOTES = Note.__table__


@dataclass(frozen=True)
class NoteDraft:
    author_id: int
    text: str
    posted_at: datetime
    occurred_at: datetime | None = None
    incident_id: int | None = None
    note_id: int | None = None  # keep this id (imports from another I2I); None: a new one
    external_id: str | None = None  # the source's own id, when it is not a number
    reply_to_id: int | None = None  # a note stored before, or earlier in the same list
    facts: NoteText | None = None  # what `text.read_note` finds in the text, if known


@contextmanager
def collected_between_batches(every: int = 10) -> Iterator[Callable[[], None]]:
    """Pause CPython's cyclic garbage collector for a bulk write; call the function it
    gives after each batch (it collects the young objects every `every` batches).

    A bulk write allocates millions of short-lived rows, so the collector, which runs every
    700 allocations and walks every young container each time, would take a quarter of an
    import's time while finding almost nothing: reference counting frees the rows. A
    batch leaves a few hundred objects in cycles; collecting now and then keeps them
    from piling up."""
    enabled = gc.isenabled()
    gc.disable()
    batches = 0

    def after_a_batch() -> None:
        nonlocal batches
        batches += 1
        if batches % every == 0:
            gc.collect(1)

    try:
        yield after_a_batch
    finally:
        if enabled:
            gc.enable()


def post_notes(drafts: list[NoteDraft], pattern: str = DEFAULT_INCIDENT_PATTERN) -> list[int]:
    """Store the drafts (call inside a write transaction); returns their ids in order.

    A draft without an incident joins its parent's (a reply) or the first incident its
    text names that its author may see, as a posted note does."""
    if not drafts:
        return []
    drafts = checked(drafts, pattern)
    parents = _parents(drafts)
    drafts = _with_incidents(drafts, parents)
    rows = [
        {
            "author_id": d.author_id,
            "text": d.text,
            "posted_at": d.posted_at,
            "occurred_at": d.occurred_at,
            "sort_at": d.occurred_at or d.posted_at,
            "incident_id": d.incident_id,
            "reply_to_id": d.reply_to_id,
            "thread_id": parents[d.reply_to_id].thread_id if d.reply_to_id else None,
            "reply_count": 0,
            "external_id": d.external_id,
        }
        | ({"id": d.note_id} if d.note_id is not None else {})
        for d in drafts
    ]
    if any(d.note_id is not None for d in drafts):  # ids given (all): written as given
        insert_rows(NOTES, rows)
        ids = [d.note_id for d in drafts]
    else:
        ids = [
            row.id
            for row in db.session.execute(
                insert(NOTES).returning(NOTES.c.id, sort_by_parameter_order=True), rows
            )
        ]
    notes = list(zip(ids, drafts, rows, strict=True))
    public = _public(notes)
    _tags(notes, public)
    mentioned = _mentions(notes, public)
    _references(notes)
    _threads(notes, parents, public)
    _timelines(notes, mentioned)
    outbox.enqueue(ids)
    return ids


def checked(drafts: list[NoteDraft], pattern: str = DEFAULT_INCIDENT_PATTERN) -> list[NoteDraft]:
    """The drafts as they will be stored, or Refused for the first that cannot be (the
    checks `post_note` makes): lets a caller check a record's notes before writing it."""
    return [_cleaned(d, pattern) for d in drafts]


def _cleaned(draft: NoteDraft, pattern: str) -> NoteDraft:
    """The draft as it will be stored (the checks `post_note` makes), with its text read."""
    text = clean_text(draft.text)
    occurred_at = check_occurred_at(draft.occurred_at, draft.posted_at)
    if text == draft.text and occurred_at == draft.occurred_at and draft.facts is not None:
        return draft
    return replace(draft, text=text, occurred_at=occurred_at, facts=read_note(text, pattern))


@dataclass(frozen=True)
class _Parent:
    author_id: int
    incident_id: int | None
    thread_id: int


def _parents(drafts: list[NoteDraft]) -> dict[int, _Parent]:
    """The notes replied to, from the database and from earlier drafts in the list."""
    wanted = {d.reply_to_id for d in drafts if d.reply_to_id is not None}
    parents = {
        row.id: _Parent(row.author_id, row.incident_id, row.thread_id or row.id)
        for row in db.session.execute(
            select(Note.id, Note.author_id, Note.incident_id, Note.thread_id).where(
                Note.id.in_(wanted), Note.retracted_at.is_(None)
            )
        )
    }
    for d in drafts:
        if d.note_id is not None and d.note_id in wanted and d.note_id not in parents:
            parent = parents.get(d.reply_to_id) if d.reply_to_id else None
            thread = parent.thread_id if parent else d.note_id
            parents[d.note_id] = _Parent(d.author_id, d.incident_id, thread)
    missing = wanted - set(parents)
    if missing:
        raise ValueError(f"replies to notes that do not exist: {sorted(missing)[:5]}")
    return parents


def _with_incidents(drafts: list[NoteDraft], parents: dict[int, _Parent]) -> list[NoteDraft]:
    """Give each draft without an incident its parent's, else the first it names."""
    named = {n for d in drafts if d.incident_id is None for n in d.facts.refs}
    numbered = {}
    if named:
        found = select(Incident.number, Incident.id).where(Incident.number.in_(named))
        numbered = dict(db.session.execute(found).all())
    access = Access.of(numbered.values())
    placed = []
    for d in drafts:
        incident_id = d.incident_id
        if incident_id is None and d.reply_to_id is not None:
            incident_id = parents[d.reply_to_id].incident_id
        if incident_id is None:
            for number in d.facts.refs:
                known = numbered.get(number)
                if known is not None and access.may_see(d.author_id, known):
                    incident_id = known
                    break
        placed.append(d if incident_id == d.incident_id else replace(d, incident_id=incident_id))
        if d.note_id is not None and d.note_id in parents:  # later replies inherit it
            old = parents[d.note_id]
            parents[d.note_id] = _Parent(old.author_id, incident_id, old.thread_id)
    return placed


def _threads(notes, parents: dict[int, _Parent], public: set[int]) -> None:
    """Replies: their parents' reply counts and "replied" notifications."""
    replies = [(i, d) for i, d, _ in notes if d.reply_to_id is not None]
    if not replies:
        return
    counted = [
        d.reply_to_id
        for i, d in replies
        if counts_as_reply(i in public, d.incident_id, parents[d.reply_to_id].incident_id)
    ]
    increment_each(Note, "reply_count", Counter(counted))
    access = Access.of(d.incident_id for i, d in replies if i not in public)
    told = []
    for i, d in replies:
        parent_author = parents[d.reply_to_id].author_id
        if parent_author != d.author_id and access.may_see(parent_author, d.incident_id):
            told.append(
                {
                    "user_id": parent_author,
                    "kind": "reply",
                    "note_id": i,
                    "actor_id": d.author_id,
                    "created_at": d.posted_at,
                }
            )
    insert_ignoring_duplicates(Notification, told)
    increment_each(User, "unread_count", Counter(t["user_id"] for t in told))


def _public(notes) -> set[int]:
    """The ids of the notes everyone may see (not on a restricted incident)."""
    access = Access.of(d.incident_id for _, d, _ in notes)
    return {i for i, d, _ in notes if access.is_public(d.incident_id)}


def _tags(notes, public: set[int]) -> None:
    tokens = {i: d.facts.tags for i, d, _ in notes}
    keys = {t.key for found in tokens.values() for t in found}
    if not keys:
        return
    spelled: dict[str, str] = {}
    first_use: dict[str, tuple] = {}  # as tags.attach_tags: public notes only
    for i, d, _row in notes:
        for token in tokens[i]:
            if i in public and token.key not in first_use:
                first_use[token.key] = (i, d.author_id, d.posted_at)
                spelled[token.key] = token.display
            spelled.setdefault(token.key, token.display)
    known = {t.key: t for t in db.session.scalars(select(Hashtag).where(Hashtag.key.in_(keys)))}
    new = []
    for key, display in spelled.items():
        if key not in known:
            note_id, user_id, at = first_use.get(key, (None, None, None))
            new.append(
                {
                    "key": key,
                    "display": display,
                    "first_note_id": note_id,
                    "first_user_id": user_id,
                    "first_used_at": at,
                    "use_count": 0,
                    "note_count": 0,
                }
            )
    if new:
        db.session.execute(insert(Hashtag.__table__), new)
    for key, tag in known.items():
        if tag.first_note_id is None and key in first_use:
            tag.first_note_id, tag.first_user_id, tag.first_used_at = first_use[key]
            tag.display = spelled[key]
    tags = {
        t.key: (t.id, t.canonical_id or t.id)
        for t in db.session.scalars(select(Hashtag).where(Hashtag.key.in_(keys)))
    }
    link_rows, hour_rows, uses, spellings, first_spelled = [], [], Counter(), Counter(), {}
    notes_per_tag, people, last_used = Counter(), Counter(), {}
    for i, d, row in notes:
        linked = set()
        for token in tokens[i]:
            hashtag_id, canonical_id = tags[token.key]
            if i in public:
                uses[hashtag_id] += 1
                spellings[(hashtag_id, token.display)] += 1
                first_spelled.setdefault((hashtag_id, token.display), d.posted_at)
                last_used[canonical_id] = max(last_used.get(canonical_id, d.posted_at), d.posted_at)
            if canonical_id in linked:
                continue
            linked.add(canonical_id)
            hour_rows.append((canonical_id, row["sort_at"], d.author_id, d.incident_id))
            link_rows.append(
                {
                    "note_id": i,
                    "tag_id": canonical_id,
                    "hashtag_id": hashtag_id,
                    "sort_at": row["sort_at"],
                }
            )
            if i in public:
                notes_per_tag[canonical_id] += 1
                people[(canonical_id, d.author_id)] += 1
    insert_rows(NoteTag, link_rows)
    tag_hours.count_rows(hour_rows)
    increment_each(Hashtag, "use_count", uses)
    increment_each(Hashtag, "note_count", notes_per_tag)
    add_to_counters(
        TagAuthor,
        ["tag_id", "user_id"],
        "note_count",
        [{"tag_id": t, "user_id": u, "note_count": n} for (t, u), n in people.items()],
    )
    add_to_counters(
        TagSpelling,
        ["hashtag_id", "spelling"],
        "use_count",
        [
            {"hashtag_id": h, "spelling": s, "use_count": n, "first_used_at": first_spelled[h, s]}
            for (h, s), n in spellings.items()
        ],
    )
    for canonical_id, when in last_used.items():
        tag = db.session.get(Hashtag, canonical_id)
        if tag.last_used_at is None or tag.last_used_at < when:
            tag.last_used_at = when


def _mentions(notes, public: set[int]) -> dict[int, set[int]]:
    names = {i: d.facts.mentions for i, d, _ in notes}
    wanted = {n for found in names.values() for n in found}
    users = (
        dict(
            db.session.execute(
                select(User.username, User.id).where(User.username.in_(wanted))
            ).all()
        )
        if wanted
        else {}
    )
    mentioned: dict[int, set[int]] = defaultdict(set)
    rows, told = [], []
    for i, d, row in notes:
        for name in names[i]:
            user_id = users.get(name)
            if user_id is None:
                continue
            mentioned[i].add(user_id)
            rows.append({"note_id": i, "user_id": user_id, "sort_at": row["sort_at"]})
            if user_id != d.author_id and i in public:
                told.append(
                    {
                        "user_id": user_id,
                        "kind": "mention",
                        "note_id": i,
                        "actor_id": d.author_id,
                        "created_at": d.posted_at,
                    }
                )
    if rows:
        insert_rows(Mention, rows)
    if told:
        insert_rows(Notification, told)
        increment_each(User, "unread_count", Counter(t["user_id"] for t in told))
    return mentioned


def _references(notes) -> None:
    rows = [{"note_id": i, "number": number} for i, d, _ in notes for number in d.facts.refs]
    if rows:
        db.session.execute(insert(IncidentRef.__table__), rows)


def _timelines(notes, mentioned: dict[int, set[int]]) -> None:
    authors = {d.author_id for _, d, _ in notes}
    followers: dict[int, set[int]] = defaultdict(set)
    for follower, author in db.session.execute(
        select(Follow.follower_id, Follow.target_id).where(
            Follow.target_type == "user", Follow.target_id.in_(authors)
        )
    ):
        followers[author].add(follower)
    incidents = {d.incident_id for _, d, _ in notes if d.incident_id}
    watching: dict[int, set[int]] = defaultdict(set)  # incident → who follows its service
    if incidents:
        for follower, incident_id in db.session.execute(
            select(Follow.follower_id, Incident.id)
            .join(Service, Service.id == Follow.target_id)
            .join(Incident, Incident.service == Service.name)
            .where(Follow.target_type == "service", Incident.id.in_(incidents))
        ):
            watching[incident_id].add(follower)
    rows = [
        {"user_id": user_id, "note_id": i, "sort_at": row["sort_at"]}
        for i, d, row in notes
        for user_id in {d.author_id}
        | followers[d.author_id]
        | mentioned.get(i, set())
        | watching.get(d.incident_id, set())
    ]
    insert_rows(TimelineEntry, rows, ignore_duplicates=True)


def move_note_sequence() -> None:
    """After notes were written with the ids given, number new notes after them
    (PostgreSQL keeps a sequence; SQLite takes the largest id + 1 by itself)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    with write_transaction():
        db.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('notes', 'id'), "
                "GREATEST((SELECT max(id) FROM notes), 1))"
            )
        )
