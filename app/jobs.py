"""Background duties of a running site: the search index's one writer, SLA warnings.

The embedded default needs no servers: every gunicorn worker starts a `Runner` thread,
and the runners elect one leader by holding an exclusive lock on a file under
I2I_INSTANCE_DIR (`fcntl.flock`). The operating system releases the lock when its holder's
process ends, however it ends (a worker killed with SIGKILL included), so another worker
takes over within a second. Only the leader runs the duties; the work a duty does lives
in the domain modules, and each duty is safe to run twice (a duty that died halfway
leaves the database as its transaction found it).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Duty:
    name: str
    every: float  # seconds
    run: Callable[[], object]


def default_duties() -> list[Duty]:
    from app import incidents
    from app.search import index

    return [
        Duty("search index", 0.5, index.catch_up),
        Duty("sla warnings", 60.0, incidents.warn_sla),
    ]


class Runner(threading.Thread):
    """Runs the duties while this process holds the leader lock (see the module doc)."""

    def __init__(self, app: Flask, duties: list[Duty] | None = None, tick: float = 0.5):
        super().__init__(name="i2i-jobs", daemon=True)
        self.app = app
        self.duties = duties if duties is not None else default_duties()
        self.tick = tick
        self.lock_path = Path(app.config["I2I_INSTANCE_DIR"]) / "jobs.lock"
        self.stopping = threading.Event()
        self.leading = threading.Event()
        self._next = {duty.name: 0.0 for duty in self.duties}

    def run(self) -> None:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as lock:
            while not self.stopping.is_set():
                if self.leading.is_set() or self._try_lead(lock):
                    self._run_due()
                self.stopping.wait(self.tick)
            if self.leading.is_set():
                fcntl.flock(lock, fcntl.LOCK_UN)

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.join(timeout)

    def _try_lead(self, lock) -> bool:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        self.leading.set()
        log.info("process %s runs the background duties", os.getpid())
        return True

    def _run_due(self) -> None:
        now = time.monotonic()
        for duty in self.duties:
            if now < self._next[duty.name]:
                continue
            self._next[duty.name] = now + duty.every
            with self.app.app_context():
                try:
                    duty.run()
                except Exception:  # a failing duty must not stop the others
                    log.exception("background duty %r failed", duty.name)
                    from app.extensions import db

                    db.session.rollback()


def start(app: Flask) -> Runner:
    """Start this process's runner (gunicorn calls this in each worker; see gunicorn_conf)."""
    runner = Runner(app)
    runner.start()
    return runner
