"""Following people, tags (and, as they arrive, incidents and services)."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select

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
    with write_transaction():
        if not is_following(user, target_type, target_id):
            db.session.add(
                Follow(follower_id=user.id, target_type=target_type, target_id=target_id)
            )
            timelines.backfill(user, target_type, target_id)


def unfollow(user: User, target_type: str, target_id: int) -> None:
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
    """The ids `user` follows of each kind, in id order, read in one query."""
    ids: dict[str, list[int]] = {kind: [] for kind in kinds}
    for kind, target_id in db.session.execute(_FOLLOWED, {"user_id": user.id, "kinds": kinds}):
        ids[kind].append(target_id)
    return ids
