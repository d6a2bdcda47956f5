"""Hashtags: finding and creating them, spelling variants, aliases, autocomplete."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, exists, func, or_, select, update
from sqlalchemy.orm import joinedload

from app import tag_hours
from app.database import (
    add_to_counter,
    increment,
    insert_ignoring_duplicates,
    starts_with,
    write_transaction,
)
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.models import Follow, Hashtag, Note, NoteTag, TagAuthor, TagSpelling, User, utcnow
from app.text import TagToken, is_valid_tag_name, normalize_tag, unique_hashtags
from app.visibility import is_public, viewer_params, visible_notes_clause

RECENT = timedelta(days=14)


def find_tag(name: str) -> Hashtag | None:
    key = normalize_tag(name.lstrip("#＃"))
    if not key:
        return None
    return db.session.scalar(select(Hashtag).where(Hashtag.key == key))


def get_tag(name: str) -> Hashtag:
    tag = find_tag(name)
    if tag is None:
        raise NotFound(f"No note has used #{name} yet.")
    return tag


def canonical(tag: Hashtag) -> Hashtag:
    return tag.canonical or tag


def get_visible_tag(name: str, viewer: User) -> Hashtag:
    """The tag, unless only restricted notes the viewer may not see have used it: then it
    does not exist for them (a tag page answering at all would tell them it does)."""
    tag = get_tag(name)
    target = canonical(tag)
    if target.note_count > 0 or target.first_note_id or target.description:
        return tag
    seen = (
        select(Note.id)
        .join(NoteTag, NoteTag.note_id == Note.id)
        .where(NoteTag.tag_id == target.id, visible_notes_clause(viewer))
        .limit(1)
    )
    if db.session.scalar(seen, viewer_params(viewer)) is None:
        raise NotFound(f"No note has used #{name} yet.")
    return tag


def alias_named(tag: Hashtag, name: str) -> Hashtag | None:
    """The alias of `tag` called `name`, or None unless it is one: what the tag page says
    about where a visitor came from (never whether some other tag exists)."""
    alias = find_tag(name)
    if alias is None or alias.canonical_id != canonical(tag).id:
        return None
    return alias


def attach_tags(note: Note, tokens: list[TagToken] | None = None) -> list[Hashtag]:
    """Link `note` to its canonical tags (created on first use); count spellings and people.

    What a tag page shows of a tag's use (its first use, spellings, counts, last use) is
    kept from notes everyone may see only: a restricted incident's notes are linked to
    their tags (members find them in feeds) but leave no trace in those facts."""
    tokens = unique_hashtags(note.text) if tokens is None else tokens
    public = is_public(note)
    linked: dict[int, Hashtag] = {}
    counts: dict[int, Counter] = defaultdict(Counter)  # tag id → column → delta
    for token in tokens:
        tag = db.session.scalar(select(Hashtag).where(Hashtag.key == token.key))
        if tag is None:  # first use; another writer may be creating it at the same moment
            new = {"key": token.key, "display": token.display, "use_count": 0, "note_count": 0}
            insert_ignoring_duplicates(Hashtag, [new])
            tag = db.session.scalar(select(Hashtag).where(Hashtag.key == token.key))
        target = canonical(tag)
        if public:
            if tag.first_note_id is None:  # spelled as its first public use spells it
                tag.first_note_id, tag.first_user_id = note.id, note.author_id
                tag.first_used_at, tag.display = note.posted_at, token.display
            _count_spelling(tag, token.display, note.posted_at)
            counts[tag.id]["use_count"] += 1
        if target.id in linked:  # #pwreset and #password_reset in one note: listed once
            continue
        linked[target.id] = tag
        db.session.add(
            NoteTag(note_id=note.id, hashtag_id=tag.id, tag_id=target.id, sort_at=note.sort_at)
        )
        if public:
            counts[target.id]["note_count"] += 1
            add_to_counter(
                TagAuthor, {"tag_id": target.id, "user_id": note.author_id}, "note_count", 1
            )
    for tag_id, deltas in counts.items():  # one UPDATE a tag row, not one a column
        last_used = note.posted_at if deltas["note_count"] else None
        _add_uses(tag_id, deltas, last_used)
    tag_hours.count_note(note, linked, 1)
    return list(linked.values())


def _add_uses(tag_id: int, deltas: Counter, last_used: datetime | None) -> None:
    """Add to a tag's kept counts and move its last use forward to `last_used`, in one
    atomic statement (a later use written first by another writer is kept)."""
    values: dict = {column: getattr(Hashtag, column) + n for column, n in deltas.items() if n}
    if last_used is not None:
        later = or_(Hashtag.last_used_at.is_(None), Hashtag.last_used_at < last_used)
        values["last_used_at"] = case((later, last_used), else_=Hashtag.last_used_at)
    statement = update(Hashtag).where(Hashtag.id == tag_id).values(values)
    db.session.execute(statement.execution_options(synchronize_session=False))


def detach_tags(note: Note) -> None:
    """Unlink a note from its tags (before an edit re-derives them)."""
    uncount_note(note)
    db.session.execute(delete(NoteTag).where(NoteTag.note_id == note.id))


def uncount_note(note: Note) -> None:
    """A note leaves what is kept of its tags' use (retracted, or about to be re-tagged):
    the tag × hour aggregates, and the public counts if everyone may see it."""
    tag_ids = list(db.session.scalars(select(NoteTag.tag_id).where(NoteTag.note_id == note.id)))
    tag_hours.count_note(note, tag_ids, -1)
    if is_public(note):
        for tag_id in tag_ids:
            _count_note(tag_id, note.author_id, -1)


def count_note_again(note: Note) -> None:
    """A retracted note comes back (its retraction undone): what `uncount_note` took away."""
    tag_ids = list(db.session.scalars(select(NoteTag.tag_id).where(NoteTag.note_id == note.id)))
    tag_hours.count_note(note, tag_ids, 1)
    if is_public(note):
        for tag_id in tag_ids:
            _count_note(tag_id, note.author_id, 1)


def _count_note(tag_id: int, author_id: int, delta: int) -> None:
    increment(Hashtag, tag_id, "note_count", delta)
    add_to_counter(TagAuthor, {"tag_id": tag_id, "user_id": author_id}, "note_count", delta)


def _count_spelling(tag: Hashtag, spelling: str, when: datetime) -> None:
    add_to_counter(
        TagSpelling,
        {"hashtag_id": tag.id, "spelling": spelling},
        "use_count",
        1,
        first={"first_used_at": when},
    )


def make_alias(actor: User, alias_name: str, target_name: str) -> Hashtag:
    """Make #alias an alias of #target. From now on counts, feeds, follows and autocomplete
    follow the target; notes keep the tag as written, so the alias's history stays."""
    if actor.role != "admin":
        raise Forbidden("Only an admin can make a tag an alias of another.")
    for name in (alias_name, target_name):
        if not is_valid_tag_name(name.lstrip("#＃")):
            raise Refused(f"#{name.lstrip('#＃')} is not a valid hashtag.")
    with write_transaction():
        alias = get_tag(alias_name)
        target = find_tag(target_name) or _new_tag(target_name.lstrip("#＃"))
        target = canonical(target)
        if target.id == alias.id or target.id == canonical(alias).id:
            raise Refused(f"#{alias.display} already leads to #{target.display}.")
        # Keep aliases one hop deep: whatever pointed at the alias now points at the target.
        merged = [
            alias.id,
            *db.session.scalars(select(Hashtag.id).where(Hashtag.canonical_id == alias.id)),
        ]
        db.session.execute(
            update(Hashtag).where(Hashtag.id.in_(merged)).values(canonical_id=target.id)
        )
        alias.aliased_at, alias.aliased_by_id = utcnow(), actor.id
        _merge_note_tags(merged, target.id)
        _move_follows(merged, target.id)
        target.last_used_at = _latest(target.last_used_at, alias.last_used_at)
        _recount([*merged, target.id])
        tag_hours.recount([*merged, target.id])
    db.session.refresh(alias)
    return alias


def _merge_note_tags(from_ids: list[int], to_id: int) -> None:
    """Relabel the notes of merged tags; a note that already has the target keeps one row."""
    has_target = select(NoteTag.note_id).where(NoteTag.tag_id == to_id).scalar_subquery()
    db.session.execute(
        delete(NoteTag).where(NoteTag.tag_id.in_(from_ids), NoteTag.note_id.in_(has_target))
    )
    # Two merged aliases in one note: keep the row of the lowest tag id.
    rows = db.session.execute(
        select(NoteTag.note_id, NoteTag.tag_id)
        .where(NoteTag.tag_id.in_(from_ids))
        .order_by(NoteTag.note_id, NoteTag.tag_id)
    ).all()
    seen: set[int] = set()
    for note_id, tag_id in rows:
        if note_id in seen:
            db.session.execute(
                delete(NoteTag).where(NoteTag.note_id == note_id, NoteTag.tag_id == tag_id)
            )
        seen.add(note_id)
    db.session.execute(update(NoteTag).where(NoteTag.tag_id.in_(from_ids)).values(tag_id=to_id))


def _recount(tag_ids: list[int]) -> None:
    """Count the public notes and people of these tags afresh (after an alias merge)."""
    db.session.execute(delete(TagAuthor).where(TagAuthor.tag_id.in_(tag_ids)))
    per_author = (
        select(NoteTag.tag_id, Note.author_id, func.count())
        .join(Note, Note.id == NoteTag.note_id)
        .where(NoteTag.tag_id.in_(tag_ids), visible_notes_clause(None))
        .group_by(NoteTag.tag_id, Note.author_id)
    )
    totals = dict.fromkeys(tag_ids, 0)
    rows = []
    for tag_id, author_id, count in db.session.execute(per_author):
        rows.append({"tag_id": tag_id, "user_id": author_id, "note_count": count})
        totals[tag_id] += count
    insert_ignoring_duplicates(TagAuthor, rows)
    for tag_id, total in totals.items():
        db.session.execute(update(Hashtag).where(Hashtag.id == tag_id).values(note_count=total))


def _latest(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _new_tag(name: str) -> Hashtag:
    tag = Hashtag(key=normalize_tag(name), display=name, use_count=0, note_count=0)
    db.session.add(tag)
    db.session.flush()
    return tag


def _move_follows(from_ids: list[int], to_id: int) -> None:
    already = set(
        db.session.scalars(
            select(Follow.follower_id).where(Follow.target_type == "tag", Follow.target_id == to_id)
        )
    )
    for follow in db.session.scalars(
        select(Follow).where(Follow.target_type == "tag", Follow.target_id.in_(from_ids))
    ):
        if follow.follower_id in already:
            db.session.delete(follow)
        else:
            follow.target_id = to_id
            already.add(follow.follower_id)


def set_description(actor: User, tag: Hashtag, description: str) -> None:
    if not actor.has_role("designer", "manager"):
        raise Forbidden("Only designers, managers and admins describe tags.")
    description = description.strip()
    if len(description) > 1000:
        raise Refused("A tag description is at most 1,000 characters.")
    with write_transaction():
        canonical(tag).description = description or None


@dataclass(frozen=True)
class TagProfile:
    tag: Hashtag
    note_count: int
    people_count: int
    first_use: Hashtag  # the tag (or alias) used first: its first note, author and time
    spellings: list[TagSpelling]
    aliases: list[Hashtag]
    following: bool = False  # whether the viewer follows the tag


def tag_profile(tag: Hashtag, viewer: User | None = None) -> TagProfile:
    """Everything the tag page shows above the feed, read from kept counts (no scan)."""
    tag = canonical(tag)
    # The tag and its aliases, with who first used each, how many people use it and
    # whether the viewer follows it, in one query.
    users = select(func.count()).where(TagAuthor.tag_id == tag.id, TagAuthor.note_count > 0)
    follow = exists().where(
        Follow.follower_id == (viewer.id if viewer else None),
        Follow.target_type == "tag",
        Follow.target_id == tag.id,
    )
    group = (
        select(Hashtag, users.scalar_subquery(), follow)
        .options(joinedload(Hashtag.first_user))
        .where(or_(Hashtag.id == tag.id, Hashtag.canonical_id == tag.id))
        .order_by(Hashtag.aliased_at, Hashtag.id)
    )
    rows = db.session.execute(group).unique().all()
    people, following = (rows[0][1], rows[0][2]) if rows else (0, False)
    aliases = [member for member, *_ in rows if member.id != tag.id]
    members = [tag, *aliases]
    spellings = list(
        db.session.scalars(
            select(TagSpelling)
            .where(TagSpelling.hashtag_id.in_([m.id for m in members]))
            .order_by(TagSpelling.use_count.desc(), TagSpelling.spelling)
        )
    )
    used = [m for m in members if m.first_used_at is not None]
    first_use = min(used, key=lambda m: m.first_used_at) if used else tag
    return TagProfile(
        tag, tag.note_count, people or 0, first_use, spellings, aliases, bool(following)
    )


def alias_keys(key: str) -> list[str]:
    """The keys of a tag's whole alias group (canonical tag and aliases), for searching:
    #pwreset finds notes written with #password_reset and the other way round."""
    tag = db.session.scalar(select(Hashtag).where(Hashtag.key == key))
    if tag is None:
        return [key]
    root = canonical(tag)
    group = select(Hashtag.key).where((Hashtag.id == root.id) | (Hashtag.canonical_id == root.id))
    return sorted(db.session.scalars(group))


def incident_tags(incident_id: int, viewer: User) -> list[tuple[Hashtag, int]]:
    """The (canonical) hashtags of an incident's notes `viewer` may see, most used first."""
    uses = func.count(NoteTag.note_id).label("uses")
    query = (
        select(Hashtag, uses)
        .join(NoteTag, NoteTag.tag_id == Hashtag.id)
        .join(Note, Note.id == NoteTag.note_id)
        .where(Note.incident_id == incident_id, visible_notes_clause(viewer))
        .group_by(Hashtag.id)
        .order_by(uses.desc(), Hashtag.key)
    )
    return [(tag, count) for tag, count in db.session.execute(query, viewer_params(viewer))]


def suggest_tags(prefix: str, limit: int = 8) -> list[Hashtag]:
    """Canonical tags starting with `prefix` (an alias leads to its target), most used lately."""
    key = normalize_tag(prefix.lstrip("#＃"))
    matches = db.session.scalars(
        select(Hashtag)
        .where(starts_with(Hashtag.key, key))
        .order_by(Hashtag.last_used_at.desc().nulls_last())
        .limit(50)
    )
    # Only tags with notes everyone may see: a tag used only in a restricted incident
    # must not reveal itself through autocomplete.
    by_id = {t.id: t for t in (canonical(m) for m in matches) if t.note_count > 0}
    if not by_id:
        return []
    since = utcnow() - RECENT
    recent = dict(
        db.session.execute(
            select(NoteTag.tag_id, func.count())
            .where(NoteTag.tag_id.in_(list(by_id)), NoteTag.sort_at >= since)
            .group_by(NoteTag.tag_id)
        ).all()
    )
    ranked = sorted(by_id.values(), key=lambda t: (-recent.get(t.id, 0), -t.use_count, t.key))
    return ranked[:limit]


DIRECTORY_ORDERS = ("use", "name", "recent")
DIRECTORY_PAGE = 100


@dataclass(frozen=True)
class DirectoryEntry:
    key: str
    display: str
    note_count: int
    first_used_at: datetime | None
    following: bool


def directory(
    viewer: User,
    *,
    order: str = "use",
    followed_only: bool = False,
    prefix: str = "",
    page: int = 1,
) -> tuple[list[DirectoryEntry], bool]:
    """The tags people use, for the tags directory: canonical tags with public notes
    (a tag only restricted notes carry is listed for no one), by use, name or first use,
    those `viewer` follows or all, starting with `prefix`; one page, and whether more
    follow."""
    if order not in DIRECTORY_ORDERS:
        raise Refused("Order the tags by use, name or recent.")
    followed = exists().where(
        Follow.follower_id == viewer.id,
        Follow.target_type == "tag",
        Follow.target_id == Hashtag.id,
    )
    query = select(Hashtag, followed).where(Hashtag.canonical_id.is_(None), Hashtag.note_count > 0)
    wanted = normalize_tag(prefix.lstrip("#")) if prefix.strip() else ""
    if wanted:
        query = query.where(Hashtag.key.startswith(wanted, autoescape=True))
    if followed_only:
        query = query.where(followed)
    query = query.order_by(
        *{
            "use": (Hashtag.note_count.desc(), Hashtag.key),
            "name": (Hashtag.key,),
            "recent": (Hashtag.first_used_at.desc(), Hashtag.key),
        }[order]
    )
    rows = db.session.execute(
        query.offset((page - 1) * DIRECTORY_PAGE).limit(DIRECTORY_PAGE + 1)
    ).all()
    entries = [
        DirectoryEntry(t.key, t.display, t.note_count, t.first_used_at, bool(f))
        for t, f in rows[:DIRECTORY_PAGE]
    ]
    return entries, len(rows) > DIRECTORY_PAGE


def works_on(person: User, top: int = 6) -> list[tuple[Hashtag, int]]:
    """The tags `person` writes most in public notes (kept counts, no scan): what their
    page says they work on."""
    query = (
        select(Hashtag, TagAuthor.note_count)
        .join(TagAuthor, TagAuthor.tag_id == Hashtag.id)
        .where(TagAuthor.user_id == person.id, TagAuthor.note_count > 0)
        .order_by(TagAuthor.note_count.desc(), Hashtag.key)
        .limit(top)
    )
    return [(tag, count) for tag, count in db.session.execute(query)]
