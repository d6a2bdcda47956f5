"""The job queue (huey) with its jobs' rows: a real consumer in the duty leader's process on
the embedded SQLite queue, and on Redis (a real redis-server) for several machines."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from app import jobs, queue
from app.clock import utcnow
from app.database import write_transaction
from app.errors import Refused
from app.extensions import db
from app.models import Job
from tests import redis_server
from tests.conftest import build_app, wipe


def until(check, timeout: float = 20.0):
    """Poll `check()` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("the job did not get there in time")


def state_of(job_id: int) -> Job:
    db.session.commit()  # end this test's read snapshot: see what the job wrote since
    return db.session.get(Job, job_id, populate_existing=True)


@pytest.fixture
def steps(ctx):
    """Test kinds of job: 'count' reports n steps, 'slow' waits for a gate, 'broken' fails."""
    gate = threading.Event()

    def count(job, progress):
        for done in range(job.params["n"]):
            progress(done, job.params["n"], f"step {done + 1}")
        return queue.Outcome(output="counted.txt", patterns=[{"key": "x", "size": 3}])

    def slow(job, progress):
        for done in range(1000):
            progress(done, 1000, "waiting")
            if gate.wait(0.01):
                break
        return queue.Outcome()

    def broken(job, progress):
        progress(0, 2, "about to fail")
        raise ZeroDivisionError("the data had no incidents")

    def refused(job, progress):
        raise Refused("Nothing is visible to you in this period.")

    runners = ctx.extensions["i2i_queue"]["runners"]
    added = {"count": count, "slow": slow, "broken": broken, "refused": refused}
    runners.update(added)
    yield gate
    for kind in added:
        runners.pop(kind)


@pytest.fixture
def consumer(ctx):
    """The background duties' runner leading this process, and so consuming the queue."""
    runner = jobs.Runner(ctx, duties=[], tick=0.05)
    runner.start()
    assert runner.leading.wait(5)
    yield runner
    runner.stop()


def test_a_job_runs_in_the_background_and_records_its_progress_and_outcome(
    ctx, steps, consumer, make_user
):
    owner = make_user("rui", role="researcher")
    job = queue.enqueue("count", {"n": 5}, owner)
    assert job.state == "queued" and job.owner_id == owner.id
    done = until(lambda: (j := state_of(job.id)).state == "done" and j)
    assert (done.done, done.total) == (5, 5)
    assert done.output == "counted.txt" and done.patterns == [{"key": "x", "size": 3}]
    assert done.started_at <= done.finished_at and done.error is None


def test_a_running_job_shows_its_progress_and_stops_when_cancelled(ctx, steps, consumer, make_user):
    owner = make_user("rui", role="researcher")
    job = queue.enqueue("slow", {}, owner)
    running = until(lambda: (j := state_of(job.id)).state == "running" and j.done > 0 and j)
    assert running.step == "waiting" and running.total == 1000
    queue.cancel(owner, job.id)
    ended = until(lambda: (j := state_of(job.id)).state == "cancelled" and j)
    assert ended.finished_at is not None and ended.done < 1000
    with pytest.raises(Refused, match="already ended"):
        queue.cancel(owner, job.id)


def test_a_job_cancelled_while_queued_never_starts(ctx, steps, make_user):
    owner = make_user("rui", role="researcher")
    job = queue.enqueue("count", {"n": 3}, owner)
    queue.cancel(owner, job.id)
    assert queue.drain(ctx) == 1
    cancelled = state_of(job.id)
    assert cancelled.state == "cancelled" and cancelled.started_at is None


def test_a_failing_job_records_why(ctx, steps, make_user):
    owner = make_user("rui", role="researcher")
    broken = queue.enqueue("broken", {}, owner)
    refused = queue.enqueue("refused", {}, owner)
    queue.drain(ctx)
    assert state_of(broken.id).state == "failed"
    assert state_of(broken.id).error == "ZeroDivisionError: the data had no incidents"
    assert state_of(refused.id).error == "Nothing is visible to you in this period."


def test_a_job_whose_process_died_is_marked_failed(ctx, steps, make_user):
    owner = make_user("rui", role="researcher")
    job = queue.enqueue("count", {"n": 3}, owner)
    with write_transaction():
        row = db.session.get(Job, job.id)
        row.state, row.beat_at = "running", utcnow() - timedelta(minutes=5)
    assert queue.fail_stale() == 1
    assert "stopped" in state_of(job.id).error and state_of(job.id).state == "failed"
    assert queue.drain(ctx) == 1 and state_of(job.id).state == "failed"  # not run after all


def test_only_the_owner_or_an_admin_sees_a_job(ctx, steps, make_user):
    owner = make_user("rui", role="researcher")
    other = make_user("sam")
    admin = make_user("ada", role="admin")
    job = queue.enqueue("count", {"n": 1}, owner)
    assert queue.job_for(admin, job.id).id == job.id
    with pytest.raises(Refused, match="someone else's"):
        queue.job_for(other, job.id)
    with pytest.raises(Refused, match="No such job"):
        queue.job_for(owner, 2**31 - 1)
    with pytest.raises(Refused, match="No such kind"):
        queue.enqueue("nosuch", {}, owner)


@pytest.fixture(scope="module")
def redis_url():
    server = redis_server.start()
    yield server.url
    server.stop()


def test_with_redis_the_queue_lives_in_redis_and_any_consumer_takes_the_work(tmp_path, redis_url):
    app = build_app(f"sqlite:///{tmp_path / 'i2i.sqlite'}", tmp_path, REDIS_URL=redis_url)
    wipe(app)
    huey = app.extensions["i2i_queue"]["huey"]
    assert type(huey).__name__ == "RedisHuey"
    app.extensions["i2i_queue"]["runners"]["count"] = lambda job, progress: queue.Outcome(
        output=f"{job.params['n']} counted"
    )
    with app.app_context():
        job = queue.enqueue("count", {"n": 7}, None)
        assert huey.pending_count() == 1 and not (tmp_path / "queue.sqlite3").exists()
        worker = queue.start_consumer(app, workers=1)  # a process on another machine
        try:
            assert until(lambda: state_of(job.id).output == "7 counted")
        finally:
            worker.stop(graceful=True)
        db.session.remove()
