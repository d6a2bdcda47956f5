"""The job queue: long work (a report, a heavy analysis) run away from the request that
asked for it, with its progress, its end and its reason kept in the `jobs` table.

The queue itself is huey's: a SQLite file under I2I_INSTANCE_DIR in the embedded default
(no server to install), Redis when REDIS_URL is set, so a consumer on any machine takes
the work. The process that leads the background duties (`app.jobs`) runs a consumer;
`i2i jobs work` runs one more anywhere. What the queue carries is only a job's id: the
`Job` row is the truth, so a page that reloads, another worker or another machine sees
the same progress, and a job whose process died is marked failed (`fail_stale`).

Each kind of job has a runner, given to `init_app` by the factory (so the domain modules
that enqueue jobs need not be imported here): `runner(job, progress)` does the work,
calls `progress(done, total, step)` as it goes, and returns what the job produced.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey
from huey.consumer import Consumer
from sqlalchemy import select, update

from app.clock import utcnow
from app.database import write_apart, write_transaction
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.models import Job, User

log = logging.getLogger(__name__)

BEAT_SECONDS = 1.0  # progress is written at most this often (and the cancel flag read)
STALE_AFTER = timedelta(seconds=90)  # a running job silent this long lost its process
LIVE_STATES = ("queued", "running")


class Cancelled(Exception):
    """Raised inside a job by its progress callback once someone asked to cancel it."""


@dataclass(frozen=True)
class Outcome:
    """What a job produced: a file under the instance dir, and the patterns it found."""

    output: str | None = None
    patterns: list | None = None


Runner = Callable[[Job, "Progress"], Outcome]


class Progress:
    """The callback a running job reports through: `progress(done, total, step)`.
    Writes the job's row at most every BEAT_SECONDS (in a transaction of its own, so a
    job reading in a long transaction still shows progress) and raises `Cancelled` once
    a cancel was asked for."""

    def __init__(self, job_id: int, beat: float = BEAT_SECONDS):
        self.job_id = job_id
        self.beat = beat
        self.written = 0.0

    def __call__(self, done: int, total: int, step: str | None = None) -> None:
        now = time.monotonic()
        if now - self.written < self.beat and done < total:
            return
        self.written = now
        values = {"done": min(done, total), "total": total, "beat_at": utcnow()}
        if step is not None:
            values["step"] = step[:200]
        asked = write_apart(
            update(Job).where(Job.id == self.job_id).values(**values),
            select(Job.cancel_requested).where(Job.id == self.job_id),
        )
        if asked:
            raise Cancelled


def _huey(app: Flask):
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        return RedisHuey("i2i", url=redis_url, results=False)
    path = Path(app.config["I2I_INSTANCE_DIR"]) / "queue.sqlite3"
    return SqliteHuey("i2i", filename=str(path), results=False)


def init_app(app: Flask, runners: dict[str, Runner]) -> None:
    """Bind the queue to `app`, with the runner of each kind of job."""
    huey = _huey(app)

    @huey.task(name="i2i.run_job")
    def run_job_task(job_id: int) -> None:
        with app.app_context():
            try:
                run(job_id)
            except Exception:  # the job could not even start (its row stays queued)
                log.exception("job %s could not run", job_id)
                raise

    app.extensions["i2i_queue"] = {"huey": huey, "task": run_job_task, "runners": runners}


def _queue() -> dict:
    return current_app.extensions["i2i_queue"]


def enqueue(kind: str, params: dict, owner: User | None, definition_id: int | None = None) -> Job:
    """Record a job of `kind` and put it on the queue; the row is committed first, so the
    consumer always finds it."""
    if kind not in _queue()["runners"]:
        raise Refused(f"No such kind of job: {kind}.")
    with write_transaction():
        job = Job(
            kind=kind,
            params=params,
            owner_id=owner.id if owner else None,
            definition_id=definition_id,
            state="queued",
            done=0,
            total=0,
            cancel_requested=False,
        )
        db.session.add(job)
    _queue()["task"](job.id)
    return job


def live_job(owner: User, kind: str, params: dict) -> Job | None:
    """The job of `kind` with these `params` that `owner` already has queued or running."""
    live = db.session.scalars(
        select(Job)
        .where(Job.owner_id == owner.id, Job.kind == kind, Job.state.in_(LIVE_STATES))
        .order_by(Job.id.desc())
        .limit(20)
    )
    return next((job for job in live if job.params == params), None)


def run(job_id: int) -> None:
    """Run job `job_id` (the consumer calls this): mark it running, call its runner, and
    record how it ended. A job cancelled while queued ends at once."""
    with write_transaction():
        job = db.session.get(Job, job_id)
        if job is None or job.state != "queued":
            return
        if job.cancel_requested:
            _finish(job, "cancelled")
            return
        job.state, job.started_at, job.beat_at = "running", utcnow(), utcnow()
    runner = _queue()["runners"][job.kind]
    try:
        outcome = runner(job, Progress(job.id))
    except Cancelled:
        _end(job_id, "cancelled")
    except Refused as refused:
        _end(job_id, "failed", error=refused.message)
    except Exception as error:  # the page shows why; the log keeps the traceback
        log.exception("job %s (%s) failed", job_id, job.kind)
        db.session.rollback()
        _end(job_id, "failed", error=f"{type(error).__name__}: {error}"[:2000])
    else:
        _end(job_id, "done", output=outcome.output, patterns=outcome.patterns)


def _end(job_id: int, state: str, **values) -> None:
    db.session.rollback()  # leave the runner's read transaction before writing
    with write_transaction():
        job = db.session.get(Job, job_id)
        for name, value in values.items():
            setattr(job, name, value)
        _finish(job, state)


def _finish(job: Job, state: str) -> None:
    job.state, job.finished_at = state, utcnow()
    if state == "done":
        job.done = job.total = max(job.total, 1)


def job_for(viewer: User, job_id: int) -> Job:
    """Job `job_id` if `viewer` asked for it (or is an admin)."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound("No such job.")
    if job.owner_id != viewer.id and viewer.role != "admin":
        raise Forbidden("This job is someone else's.")
    return job


def cancel(viewer: User, job_id: int) -> Job:
    """Ask job `job_id` to stop: a queued job will not start, a running one stops at its
    next progress report."""
    job = job_for(viewer, job_id)
    if job.state not in LIVE_STATES:
        raise Refused(f"This job has already ended ({job.state}).", status=409)
    with write_transaction():
        job = db.session.get(Job, job_id)
        job.cancel_requested = True
        if job.state == "queued":
            _finish(job, "cancelled")
    return job


def fail_stale(now=None) -> int:
    """Mark as failed the running jobs whose process stopped beating (a worker killed
    mid-job); a background duty. Returns how many."""
    now = now or utcnow()
    with write_transaction():
        stale = db.session.scalars(
            select(Job).where(Job.state == "running", Job.beat_at < now - STALE_AFTER)
        ).all()
        for job in stale:
            job.error = "The process running this job stopped; run it again."
            _finish(job, "failed")
    return len(stale)


def drain(app: Flask, limit: int = 100) -> int:
    """Run the jobs waiting on the queue in this thread, as a consumer's worker would
    (huey's own dequeue and execute); returns how many ran. For commands and tests that
    have no consumer running."""
    huey = app.extensions["i2i_queue"]["huey"]
    ran = 0
    while ran < limit:
        task = huey.dequeue()
        if task is None:
            return ran
        huey.execute(task)
        ran += 1
    return ran


class EmbeddedConsumer(Consumer):
    """huey's consumer run inside a process that has its own main loop (a gunicorn
    worker, `flask run`): its threads only, no signal handlers of its own."""

    def _set_signal_handlers(self) -> None:
        pass


def start_consumer(app: Flask, workers: int = 2) -> EmbeddedConsumer:
    """Start consuming the queue in threads of this process (the duty leader does)."""
    consumer = EmbeddedConsumer(
        app.extensions["i2i_queue"]["huey"],
        workers=workers,
        periodic=False,
        initial_delay=0.05,
        max_delay=0.5,
        check_worker_health=False,
        shutdown_timeout=5.0,
    )
    consumer.start()
    return consumer


def standalone_consumer(app: Flask, workers: int) -> Consumer:
    """A consumer for `i2i jobs work` (its own process: huey's signal handling)."""
    return Consumer(
        app.extensions["i2i_queue"]["huey"],
        workers=workers,
        periodic=False,
        initial_delay=0.05,
        max_delay=0.5,
        shutdown_timeout=30.0,
    )
