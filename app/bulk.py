"""Writing many notes at once, for imports: the rows `notes.post_note` writes, in bulk.

Posting one note runs about sixteen statements; importing thousands that way spends its
time in per-statement overhead. Here each kind of row (notes, versions, tags, spellings,
counts, mentions, notifications, references, home timelines) is written with one
multi-row statement per batch. A test checks that a bulk import and the same notes
posted one by one leave the same rows behind.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from app.database import add_to_counter, increment, insert_ignoring_duplicates
from app.extensions import db
from app.models import (
    Follow,
    Hashtag,
    Incident,
    IncidentRef,
    Mention,
    Note,
    NoteTag,
    NoteVersion,
    Notification,
    TagAuthor,
    TagSpelling,
    TimelineEntry,
    User,
)
from app.notes import check_occurred_at, clean_text, current_pattern
from app.text import extract_incident_refs, extract_mentions, unique_hashtags


@dataclass(frozen=True)
class NoteDraft:
    author_id: int
    text: str
    posted_at: datetime
    occurred_at: datetime | None = None
    incident_id: int | None = None


def post_notes(drafts: list[NoteDraft]) -> list[int]:
    """Store the drafts (call inside a write transaction); returns their ids in order."""
    if not drafts:
        return []
    drafts = [
        NoteDraft(
            d.author_id,
            clean_text(d.text),
            d.posted_at,
            check_occurred_at(d.occurred_at, d.posted_at),
            d.incident_id,
        )
        for d in drafts
    ]
    rows = [
        {
            "author_id": d.author_id,
            "text": d.text,
            "posted_at": d.posted_at,
            "occurred_at": d.occurred_at,
            "sort_at": d.occurred_at or d.posted_at,
            "incident_id": d.incident_id,
            "reply_count": 0,
        }
        for d in drafts
    ]
    ids = [
        row.id
        for row in db.session.execute(
            insert(Note).returning(Note.id, sort_by_parameter_order=True), rows
        )
    ]
    notes = list(zip(ids, drafts, rows, strict=True))
    db.session.execute(
        insert(NoteVersion),
        [
            {"note_id": i, "version": 1, "text": d.text, "written_at": d.posted_at}
            for i, d, _ in notes
        ],
    )
    _tags(notes)
    mentioned = _mentions(notes)
    _references(notes)
    _timelines(notes, mentioned)
    return ids


def _public(notes) -> set[int]:
    incident_ids = {d.incident_id for _, d, _ in notes if d.incident_id}
    restricted = set(
        db.session.scalars(
            select(Incident.id).where(Incident.id.in_(incident_ids), Incident.restricted)
        )
    )
    return {i for i, d, _ in notes if d.incident_id not in restricted}


def _tags(notes) -> None:
    tokens = {i: unique_hashtags(d.text) for i, d, _ in notes}
    keys = {t.key for found in tokens.values() for t in found}
    if not keys:
        return
    first_use: dict[str, tuple] = {}
    for i, d, _row in notes:
        for token in tokens[i]:
            first_use.setdefault(token.key, (token.display, i, d.author_id, d.posted_at))
    known = {t.key: t for t in db.session.scalars(select(Hashtag).where(Hashtag.key.in_(keys)))}
    new = [
        {
            "key": k,
            "display": v[0],
            "first_note_id": v[1],
            "first_user_id": v[2],
            "first_used_at": v[3],
            "use_count": 0,
            "note_count": 0,
        }
        for k, v in first_use.items()
        if k not in known
    ]
    if new:
        db.session.execute(insert(Hashtag), new)
    tags = {
        t.key: (t.id, t.canonical_id or t.id)
        for t in db.session.scalars(select(Hashtag).where(Hashtag.key.in_(keys)))
    }
    public = _public(notes)
    link_rows, uses, spellings, first_spelled = [], Counter(), Counter(), {}
    notes_per_tag, people, last_used = Counter(), Counter(), {}
    for i, d, row in notes:
        linked = set()
        for token in tokens[i]:
            hashtag_id, canonical_id = tags[token.key]
            uses[hashtag_id] += 1
            spellings[(hashtag_id, token.display)] += 1
            first_spelled.setdefault((hashtag_id, token.display), d.posted_at)
            last_used[canonical_id] = max(last_used.get(canonical_id, d.posted_at), d.posted_at)
            if canonical_id in linked:
                continue
            linked.add(canonical_id)
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
    db.session.execute(insert(NoteTag), link_rows)
    for hashtag_id, count in uses.items():
        increment(Hashtag, hashtag_id, "use_count", count)
    for canonical_id, count in notes_per_tag.items():
        increment(Hashtag, canonical_id, "note_count", count)
    for (tag_id, user_id), count in people.items():
        add_to_counter(TagAuthor, {"tag_id": tag_id, "user_id": user_id}, "note_count", count)
    _spellings(spellings, first_spelled)
    for canonical_id, when in last_used.items():
        tag = db.session.get(Hashtag, canonical_id)
        if tag.last_used_at is None or tag.last_used_at < when:
            tag.last_used_at = when


def _spellings(spellings: Counter, first_spelled: dict) -> None:
    rows = [
        {"hashtag_id": h, "spelling": s, "first_used_at": first_spelled[(h, s)], "use_count": 0}
        for h, s in spellings
    ]
    insert_ignoring_duplicates(TagSpelling, rows)
    for (hashtag_id, spelling), count in spellings.items():
        row = db.session.scalar(
            select(TagSpelling).where(
                TagSpelling.hashtag_id == hashtag_id, TagSpelling.spelling == spelling
            )
        )
        row.use_count += count


def _mentions(notes) -> dict[int, set[int]]:
    names = {i: extract_mentions(d.text) for i, d, _ in notes}
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
    public = _public(notes)
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
        db.session.execute(insert(Mention), rows)
    if told:
        db.session.execute(insert(Notification), told)
        for user_id, count in Counter(t["user_id"] for t in told).items():
            increment(User, user_id, "unread_count", count)
    return mentioned


def _references(notes) -> None:
    pattern = current_pattern()
    rows = [
        {"note_id": i, "number": number}
        for i, d, _ in notes
        for number in extract_incident_refs(d.text, pattern)
    ]
    if rows:
        db.session.execute(insert(IncidentRef), rows)


def _timelines(notes, mentioned: dict[int, set[int]]) -> None:
    authors = {d.author_id for _, d, _ in notes}
    followers: dict[int, set[int]] = defaultdict(set)
    for follower, author in db.session.execute(
        select(Follow.follower_id, Follow.target_id).where(
            Follow.target_type == "user", Follow.target_id.in_(authors)
        )
    ):
        followers[author].add(follower)
    rows = [
        {"user_id": user_id, "note_id": i, "sort_at": row["sort_at"]}
        for i, d, row in notes
        for user_id in {d.author_id} | followers[d.author_id] | mentioned.get(i, set())
    ]
    insert_ignoring_duplicates(TimelineEntry, rows)
