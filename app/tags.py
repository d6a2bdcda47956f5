"""Hashtags: finding and creating them, spelling variants, aliases, autocomplete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from app.database import starts_with, write_transaction
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.models import Follow, Hashtag, Note, NoteTag, TagSpelling, User, utcnow
from app.text import TagToken, is_valid_tag_name, normalize_tag, unique_hashtags

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


def attach_tags(note: Note, tokens: list[TagToken] | None = None) -> list[Hashtag]:
    """Link `note` to its tags (created on first use), recording spellings and first use."""
    tokens = unique_hashtags(note.text) if tokens is None else tokens
    tags: list[Hashtag] = []
    for token in tokens:
        tag = db.session.scalar(select(Hashtag).where(Hashtag.key == token.key))
        if tag is None:
            tag = Hashtag(
                key=token.key,
                display=token.display,
                first_note_id=note.id,
                first_user_id=note.author_id,
                first_used_at=note.posted_at,
                use_count=0,
            )
            db.session.add(tag)
            db.session.flush()
        _count_spelling(tag, token.display, note.posted_at)
        target = canonical(tag)
        tag.use_count += 1
        target.last_used_at = _latest(target.last_used_at, note.posted_at)
        db.session.add(
            NoteTag(note_id=note.id, hashtag_id=tag.id, tag_id=target.id, sort_at=note.sort_at)
        )
        tags.append(tag)
    return tags


def detach_tags(note: Note) -> None:
    db.session.execute(delete(NoteTag).where(NoteTag.note_id == note.id))


def _count_spelling(tag: Hashtag, spelling: str, when: datetime) -> None:
    row = db.session.scalar(
        select(TagSpelling).where(
            TagSpelling.hashtag_id == tag.id, TagSpelling.spelling == spelling
        )
    )
    if row is None:
        row = TagSpelling(hashtag_id=tag.id, spelling=spelling, first_used_at=when, use_count=0)
        db.session.add(row)
    row.use_count += 1


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
        db.session.execute(
            update(NoteTag).where(NoteTag.tag_id.in_(merged)).values(tag_id=target.id)
        )
        _move_follows(merged, target.id)
        target.last_used_at = _latest(target.last_used_at, alias.last_used_at)
    db.session.refresh(alias)
    return alias


def _latest(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _new_tag(name: str) -> Hashtag:
    tag = Hashtag(key=normalize_tag(name), display=name, use_count=0)
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
    first_note: Note | None
    spellings: list[TagSpelling]
    aliases: list[Hashtag]


def tag_profile(tag: Hashtag, visible) -> TagProfile:
    """Everything the tag page shows above the feed; `visible` is the visibility clause."""
    tag = canonical(tag)
    member_ids = [
        tag.id,
        *db.session.scalars(select(Hashtag.id).where(Hashtag.canonical_id == tag.id)),
    ]
    counts = db.session.execute(
        select(func.count(Note.id), func.count(func.distinct(Note.author_id)))
        .join(NoteTag, NoteTag.note_id == Note.id)
        .where(NoteTag.tag_id == tag.id, visible)
    ).one()
    first_note = db.session.scalar(
        select(Note)
        .join(NoteTag, NoteTag.note_id == Note.id)
        .where(NoteTag.hashtag_id.in_(member_ids), visible)
        .order_by(Note.posted_at, Note.id)
        .limit(1)
    )
    spellings = list(
        db.session.scalars(
            select(TagSpelling)
            .where(TagSpelling.hashtag_id.in_(member_ids))
            .order_by(TagSpelling.use_count.desc(), TagSpelling.spelling)
        )
    )
    aliases = list(
        db.session.scalars(
            select(Hashtag).where(Hashtag.canonical_id == tag.id).order_by(Hashtag.aliased_at)
        )
    )
    return TagProfile(tag, counts[0], counts[1], first_note, spellings, aliases)


def suggest_tags(prefix: str, limit: int = 8) -> list[Hashtag]:
    """Canonical tags starting with `prefix` (an alias leads to its target), most used lately."""
    key = normalize_tag(prefix.lstrip("#＃"))
    matches = db.session.scalars(
        select(Hashtag)
        .where(starts_with(Hashtag.key, key))
        .order_by(Hashtag.last_used_at.desc().nulls_last())
        .limit(50)
    )
    by_id = {t.id: t for t in (canonical(m) for m in matches)}
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
