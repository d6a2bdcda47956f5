"""Live updates: one kept counter of changes to what timelines show, cheap enough to be
asked every second by every open page.

Every committed write that adds or changes a note or an incident event adds one to the
counter (`bump`, from a session hook: nothing to remember at each write). An open page
asks `/live` every second with the counter it last saw and its unread count; the answer
is 204 (nothing changed) from this counter and the signed-in person's row, which
Flask-Login reads anyway, so an idle page touches no note, no index, no count. Only
when the counter moved does the page ask its own question (the feed's "N new notes",
the incident's new entries), once.

The counter is derived data (a restart may keep or reset it: pages only compare it for
a change). It lives where the processes that serve one site can all read it:
- a file of 8 bytes under I2I_INSTANCE_DIR (the embedded default: gunicorn's workers on
  one machine), read with one `pread`, written under `flock`;
- Redis when REDIS_URL is set (several machines), one GET or INCR.
Bumping after the commit, never before, matters: a page that saw a new counter and then
asked for the new notes must find them.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import suppress
from pathlib import Path

import redis
from flask import Flask, current_app, has_app_context
from sqlalchemy import event

from app.extensions import db
from app.models import IncidentEvent, Note

KEY = "i2i_live"


class FileStamp:
    """The counter in a file, shared by the processes of one machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid: int | None = None

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked worker opens its own
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def read(self) -> int:
        data = os.pread(self._file(), 8, 0)
        return int.from_bytes(data, "little") if len(data) == 8 else 0

    def bump(self) -> int:
        fd = self._file()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            value = self.read() + 1
            os.pwrite(fd, value.to_bytes(8, "little"), 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        return value


class RedisStamp:
    """The counter in Redis, shared by the processes of several machines."""

    def __init__(self, url: str) -> None:
        self.redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def read(self) -> int:
        return int(self.redis.get(KEY) or 0)

    def bump(self) -> int:
        return int(self.redis.incr(KEY))


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    path = Path(app.config["I2I_INSTANCE_DIR"]) / "live.stamp"
    app.extensions[KEY] = RedisStamp(url) if url else FileStamp(path)


def stamp() -> int:
    """The counter now."""
    return current_app.extensions[KEY].read()


def bump() -> int:
    return current_app.extensions[KEY].bump()


# Timelines show notes and incident events: a flush that wrote one marks the session, and
# its commit moves the counter.
SHOWN = (Note, IncidentEvent)


@event.listens_for(db.session, "after_flush")
def _mark(session, flush_context) -> None:
    if any(isinstance(o, SHOWN) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info[KEY] = True


@event.listens_for(db.session, "after_commit")
def _moved(session) -> None:
    if session.info.pop(KEY, False) and has_app_context() and KEY in current_app.extensions:
        # Should it fail, pages learn of this change at the next one.
        with suppress(OSError, redis.RedisError):
            bump()


@event.listens_for(db.session, "after_soft_rollback")
def _forget(session, previous_transaction) -> None:
    session.info.pop(KEY, None)
