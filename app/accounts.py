"""People and their roles: creating accounts, checking passwords, changing roles, and
what each person chose on their settings page (`preferences`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from functools import cache
from zoneinfo import available_timezones

import regex
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.database import insert_ignoring_duplicates, starts_with, write_transaction
from app.errors import Conflict, Forbidden, NotFound, Refused
from app.extensions import db
from app.models import ROLES, User, utcnow

USERNAME = regex.compile(r"[a-z0-9_.\-]{2,30}")
MIN_PASSWORD = 8
# Checked against when the username is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("i2i-timing-equaliser")


def validate_username(username: str) -> str:
    if not USERNAME.fullmatch(username or ""):
        raise Refused("A username is 2–30 characters: lowercase letters, digits, '_', '.' or '-'.")
    return username


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise Refused(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    return role


def create_user(
    username: str,
    *,
    role: str = "responder",
    password: str | None = None,
    display_name: str | None = None,
) -> User:
    """Create an account. Without a password the account exists but cannot sign in."""
    validate_username(username)
    validate_role(role)
    if password is not None and len(password) < MIN_PASSWORD:
        raise Refused(f"A password needs at least {MIN_PASSWORD} characters.")
    display_name = (display_name or username).strip()[:80] or username
    with write_transaction():
        if find_user(username) is not None:
            raise Conflict(f"The username {username!r} is taken.")
        user = User(
            username=username,
            role=role,
            display_name=display_name,
            password_hash=generate_password_hash(password) if password else None,
        )
        db.session.add(user)
    return user


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username.lower()))


def get_user(username: str) -> User:
    user = find_user(username)
    if user is None:
        raise NotFound(f"No one is called @{username}.")
    return user


def users_named(usernames: list[str]) -> dict[str, User]:
    """The existing accounts among `usernames` (mentions of unknown names stay plain text)."""
    if not usernames:
        return {}
    rows = db.session.scalars(select(User).where(User.username.in_(usernames)))
    return {user.username: user for user in rows}


def authenticate(username: str, password: str) -> User | None:
    user = find_user(username.strip()) if username else None
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def change_role(actor: User, user: User, role: str) -> None:
    """Only an admin changes roles, and never removes the last admin."""
    if actor.role != "admin":
        raise Forbidden("Only an admin can change roles.")
    validate_role(role)
    with write_transaction():
        if user.role == "admin" and role != "admin":
            admins = db.session.scalar(select(func.count()).where(User.role == "admin"))
            if admins <= 1:
                raise Refused("This is the last admin; make someone else admin first.")
        user.role = role


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.username)))


def suggest_users(prefix: str, limit: int = 8) -> list[User]:
    prefix = prefix.lower()
    query = select(User).where(User.password_hash.is_not(None))
    if prefix:
        query = query.where(starts_with(User.username, prefix))
    return list(db.session.scalars(query.order_by(User.username).limit(limit)))


def ensure_accounts(usernames: set[str]) -> dict[str, int]:
    """Ids of these usernames, creating accounts that cannot sign in for unknown ones
    (imported authors, owners and callers)."""
    if not usernames:
        return {}
    rows = [
        {
            "username": name,
            "display_name": name.replace("_", " ").title(),
            "password_hash": None,
            "role": "responder",
            "active": True,
            "created_at": utcnow(),
            "unread_count": 0,
        }
        for name in usernames
    ]
    insert_ignoring_duplicates(User, rows)
    found = db.session.execute(select(User.username, User.id).where(User.username.in_(usernames)))
    return dict(found.all())


# What a person may choose on their settings page. `User.preferences` is a JSON dict that
# may miss keys (older accounts) or hold values no longer offered; `preferences` is the one
# place that reads it, falling back to these defaults.
TIMELINE_ORDERS = ("newest", "oldest")
THEMES = ("auto", "light", "dark")


@dataclass(frozen=True)
class Preferences:
    timeline_order: str = "newest"  # an incident's timeline: newest or oldest first
    time_zone: str = "UTC"  # IANA name; times on pages are shown in it
    theme: str = "auto"  # auto follows the system's light or dark setting
    muted: frozenset[str] = frozenset()  # notification kinds not to be told about


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def preferences(user: User | None) -> Preferences:
    """What `user` chose, each value checked, defaults for what is missing or unknown."""
    stored = (user.preferences if user is not None else None) or {}
    chosen = Preferences()
    if stored.get("timeline_order") in TIMELINE_ORDERS:
        chosen = replace(chosen, timeline_order=stored["timeline_order"])
    if stored.get("theme") in THEMES:
        chosen = replace(chosen, theme=stored["theme"])
    if isinstance(stored.get("time_zone"), str) and stored["time_zone"] in time_zones():
        chosen = replace(chosen, time_zone=stored["time_zone"])
    if isinstance(stored.get("muted"), list):
        muted = frozenset(kind for kind in stored["muted"] if isinstance(kind, str))
        chosen = replace(chosen, muted=muted)
    return chosen


def set_preferences(user: User, **changes) -> Preferences:
    """Store some of `user`'s choices (the others are kept); a value not offered is refused."""
    chosen = preferences(user)
    if "timeline_order" in changes and changes["timeline_order"] not in TIMELINE_ORDERS:
        raise Refused("Choose newest or oldest first.")
    if "theme" in changes and changes["theme"] not in THEMES:
        raise Refused(f"Choose a theme: {', '.join(THEMES)}.")
    if "time_zone" in changes and changes["time_zone"] not in time_zones():
        raise Refused("Choose a time zone from the list (e.g. Europe/Amsterdam or UTC).")
    if "muted" in changes:
        changes["muted"] = frozenset(str(kind)[:40] for kind in changes["muted"])
    chosen = replace(chosen, **changes)
    stored = asdict(chosen) | {"muted": sorted(chosen.muted)}
    with write_transaction():
        user.preferences = stored  # a new dict: SQLAlchemy sees the JSON column change
    return chosen


def is_muted(user: User, kind: str) -> bool:
    """Whether `user` asked not to be told about notifications of `kind`."""
    return kind in preferences(user).muted


def rename(user: User, display_name: str) -> None:
    """Change how one's name is shown (the username stays)."""
    name = " ".join((display_name or "").split())
    if not name:
        raise Refused("A display name needs some text.")
    if len(name) > 80:
        raise Refused("A display name is at most 80 characters.")
    with write_transaction():
        user.display_name = name


def change_password(user: User, current: str, new: str) -> None:
    """Change one's password, proving the current one first."""
    if user.password_hash is None or not check_password_hash(user.password_hash, current or ""):
        raise Refused("The current password is not right; nothing was changed.")
    if len(new or "") < MIN_PASSWORD:
        raise Refused(f"A password needs at least {MIN_PASSWORD} characters.")
    if len(new) > 200:
        raise Refused("A password is at most 200 characters.")
    with write_transaction():
        user.password_hash = generate_password_hash(new)
