"""Background duties of a running site: the search index's one writer, SLA warnings,
telling followers that their tag started trending, failing jobs whose process died; and
the consumer of the job queue (`app.queue`), which runs in the same leading process.

The embedded default needs no servers: every gunicorn worker starts a `Runner` thread,
and the runners elect one leader by holding an exclusive lock on a file under
I2I_INSTANCE_DIR (`fcntl.flock`). The operating system releases the lock when its holder's
process ends, however it ends (a worker killed with SIGKILL included), so another worker
takes over within a second. Only the leader runs the duties; the work a duty does lives
in the domain modules, and each duty is safe to run twice (a duty that died halfway
leaves the database as its transaction found it).

With REDIS_URL set (several machines), the leader is elected in Redis instead: a key set
only if absent, with a time to live the leader renews every tick. A leader that dies
stops renewing and another process, on any machine, takes over once the key expires
(LEASE seconds). The search index then lives in a shared I2I_INSTANCE_DIR.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import click
import redis
from flask import Flask

from app import analysis, incidents, queue
from app.extensions import db
from app.search import index

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Duty:
    name: str
    every: float  # seconds
    run: Callable[[], object]


def default_duties(app: Flask) -> list[Duty]:
    policy = app.config["I2I_POLICY"]
    return [
        Duty("search index", 0.5, index.catch_up),
        Duty("sla warnings", 60.0, partial(incidents.warn_sla, policy)),
        Duty("trending tags", 300.0, analysis.notify_trending_followers),
        Duty("stale jobs", 30.0, queue.fail_stale),
    ]


class FileLeadership:
    """One leader among the processes of one machine: an exclusive lock on a file."""

    def __init__(self, path: Path):
        self.path = path
        self.file = None

    def acquire(self) -> bool:
        if self.file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self.path, "a+")  # noqa: SIM115 — held while leading
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"{os.getpid()}\n")
        self.file.flush()
        return True

    def renew(self) -> bool:
        return True  # held until the process lets go or ends

    def release(self) -> None:
        if self.file is not None:
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()
            self.file = None


class RedisLeadership:
    """One leader among processes on any number of machines: a Redis key with a lease."""

    KEY = "i2i:jobs:leader"
    LEASE = 5.0  # seconds a dead leader keeps the lead
    # Renew the lease, or give the lead up, only while the key still holds our token.
    IF_OURS = (
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call({}) else return 0 end"
    )
    RENEW = IF_OURS.format("'pexpire', KEYS[1], ARGV[2]")
    RELEASE = IF_OURS.format("'del', KEYS[1]")

    def __init__(self, url: str, lease: float = LEASE):
        self.redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.lease_ms = int(lease * 1000)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire(self) -> bool:
        return bool(self.redis.set(self.KEY, self.token, nx=True, px=self.lease_ms))

    def renew(self) -> bool:
        return bool(self.redis.eval(self.RENEW, 1, self.KEY, self.token, self.lease_ms))

    def release(self) -> None:
        self.redis.eval(self.RELEASE, 1, self.KEY, self.token)

    def holder(self) -> str | None:
        value = self.redis.get(self.KEY)
        return value.decode() if value else None


class Runner(threading.Thread):
    """Runs the duties while this process leads (see the module doc)."""

    def __init__(
        self,
        app: Flask,
        duties: list[Duty] | None = None,
        tick: float = 0.5,
        consume: bool = True,
    ):
        super().__init__(name="i2i-jobs", daemon=True)
        self.app = app
        self.consume = consume  # run the job queue's consumer while leading
        self.consumer = None
        self.duties = duties if duties is not None else default_duties(app)
        self.tick = tick
        redis_url = app.config.get("REDIS_URL")
        self.leadership = (
            RedisLeadership(redis_url)
            if redis_url
            else FileLeadership(Path(app.config["I2I_INSTANCE_DIR"]) / "jobs.lock")
        )
        self.stopping = threading.Event()
        self.leading = threading.Event()
        self._next = {duty.name: 0.0 for duty in self.duties}

    def run(self) -> None:
        while not self.stopping.is_set():
            if self._lead():
                self._run_due()
            self.stopping.wait(self.tick)
        self._stop_consuming()
        if self.leading.is_set():
            self._quietly(self.leadership.release)

    def _start_consuming(self) -> None:
        if self.consume and self.consumer is None:
            self.consumer = queue.start_consumer(self.app)

    def _stop_consuming(self) -> None:
        if self.consumer is not None:
            self.consumer.stop(graceful=True)
            self.consumer = None

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.join(timeout)

    def _lead(self) -> bool:
        """Whether this process leads now: it keeps the lead it has, or takes a free one."""
        if self.leading.is_set():
            if self._quietly(self.leadership.renew):
                return True
            self.leading.clear()
            self._stop_consuming()
            log.warning("process %s lost the lead of the background duties", os.getpid())
        if self._quietly(self.leadership.acquire):
            self.leading.set()
            self._start_consuming()
            log.info("process %s runs the background duties", os.getpid())
            return True
        return False

    @staticmethod
    def _quietly(step: Callable[[], object]):
        """A leadership step; False when its store cannot be reached (tried again next tick)."""
        try:
            return step()
        except Exception as error:  # Redis down, say: nobody leads until it is back
            log.warning("background duties: leadership unavailable (%s)", error)
            return False

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
                    db.session.rollback()


def start(app: Flask) -> Runner:
    """Start this process's runner (gunicorn calls this in each worker; see gunicorn_conf)."""
    runner = Runner(app)
    runner.start()
    return runner


def start_under_flask_run(app: Flask) -> Runner | None:
    """`flask --app wsgi run` (the development server) gets the duties too: without the
    index writer its search would say the index is missing forever. Any other command
    (`i2i demo`, a test building an app) starts nothing."""
    command = click.get_current_context(silent=True)
    if command is None or command.info_name != "run":
        return None
    return start(app)
