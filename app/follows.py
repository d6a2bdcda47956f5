"""Following people, tags (and, as they arrive, incidents and services)."""

from __future__ import annotations

from sqlalchemy import String, bindparam, cast, delete, func, literal, select

from app import timelines
from app.database import write_transaction
from app.errors import Refused
from app.extensions import db
from app.models import FOLLOW_TARGETS, Follow, User


def follow(user: User, target_type: str, target_id: int) -> None:
    if target_type not in FOLLOW_TARGETS:
        raise Refused(f"Cannot follow a {target_type}.")
    if target_type == "user" and target_id == user.id:
        raise Refused("Your own notes are in your home feed already.")
    user.__dict__.pop(PRELOADED, None)
    with write_transaction():
        if not is_following(user, target_type, target_id):
            db.session.add(
                Follow(follower_id=user.id, target_type=target_type, target_id=target_id)
            )
            timelines.backfill(user, target_type, target_id)


def unfollow(user: User, target_type: str, target_id: int) -> None:
    user.__dict__.pop(PRELOADED, None)
    with write_transaction():
        db.session.execute(
            delete(Follow).where(
                Follow.follower_id == user.id,
                Follow.target_type == target_type,
                Follow.target_id == target_id,
            )
        )
        timelines.rebuild(user)


def set_following(user: User, target_type: str, target_id: int, following: bool) -> None:
    """Follow or stop following, as a toggle button asks."""
    if following:
        follow(user, target_type, target_id)
    else:
        unfollow(user, target_type, target_id)


def is_following(user: User, target_type: str, target_id: int) -> bool:
    return (
        db.session.scalar(
            select(Follow.id).where(
                Follow.follower_id == user.id,
                Follow.target_type == target_type,
                Follow.target_id == target_id,
            )
        )
        is not None
    )


# What the home feed merges on read (people reach it through timelines, filled on write).
MERGED_ON_READ = ("tag", "incident", "service")
# Read on every home-feed view: built once, so only the values change per call.
_FOLLOWED = (
    select(Follow.target_type, Follow.target_id)
    .where(
        Follow.follower_id == bindparam("user_id"),
        Follow.target_type.in_(bindparam("kinds", expanding=True)),
    )
    .order_by(Follow.target_type, Follow.target_id)
)


def followed(user: User, kinds: tuple[str, ...] = MERGED_ON_READ) -> dict[str, list[int]]:
    """The ids `user` follows of each kind, in id order, read in one query (none when
    `user_with_follows` read them with the user, in this request)."""
    preloaded = user.__dict__.get(PRELOADED)
    if preloaded is not None and set(kinds) <= set(MERGED_ON_READ):
        return {kind: list(preloaded[kind]) for kind in kinds}
    ids: dict[str, list[int]] = {kind: [] for kind in kinds}
    for kind, target_id in db.session.execute(_FOLLOWED, {"user_id": user.id, "kinds": kinds}):
        ids[kind].append(target_id)
    return ids


# The signed-in person and what they follow, read in one statement on every request: a
# home page then needs no query of its own for the follows (one round trip less).
PRELOADED = "_followed_this_request"
_FOLLOWED_TEXT = (
    select(
        func.aggregate_strings(
            Follow.target_type + literal(":") + cast(Follow.target_id, String), " "
        )
    )
    .where(Follow.follower_id == User.id, Follow.target_type.in_(MERGED_ON_READ))
    .correlate(User)
    .scalar_subquery()
)
_USER_WITH_FOLLOWS = select(User, _FOLLOWED_TEXT).where(User.id == bindparam("user_id"))


def user_with_follows(user_id: int) -> User | None:
    """The user with this id, and the ids they follow of each kind the home feed merges
    (kept on the object for this request only; a follow or unfollow drops them)."""
    row = db.session.execute(_USER_WITH_FOLLOWS, {"user_id": user_id}).first()
    if row is None:
        return None
    user, text = row
    ids: dict[str, list[int]] = {kind: [] for kind in MERGED_ON_READ}
    for item in (text or "").split():
        kind, _, target_id = item.partition(":")
        ids[kind].append(int(target_id))
    user.__dict__[PRELOADED] = {kind: sorted(found) for kind, found in ids.items()}
    return user
