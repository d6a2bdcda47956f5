"""With REDIS_URL (several machines), the background duties' leader is elected in Redis
and login rate limits are counted there: a real redis-server started by the tests."""

from __future__ import annotations

import threading
import time

import pytest

from app import jobs
from app.config import load_settings
from tests import redis_server
from tests.conftest import Client, build_app


@pytest.fixture(scope="module")
def redis_url():
    server = redis_server.start()
    yield server.url
    server.stop()


def _runner(app, url: str, name: str, ran: list, lease: float) -> jobs.Runner:
    runner = jobs.Runner(
        app, [jobs.Duty("count", 0.05, lambda: ran.append(name))], tick=0.05, consume=False
    )
    runner.leadership = jobs.RedisLeadership(url, lease=lease)
    return runner


def test_one_process_leads_through_redis_and_another_takes_over_when_it_dies(ctx, redis_url):
    ctx.config["REDIS_URL"] = redis_url
    try:
        assert isinstance(jobs.Runner(ctx).leadership, jobs.RedisLeadership)
    finally:
        ctx.config["REDIS_URL"] = None
    ran: list[str] = []
    first = _runner(ctx, redis_url, "first", ran, lease=0.6)
    second = _runner(ctx, redis_url, "second", ran, lease=0.6)
    first.start()
    assert first.leading.wait(5)
    second.start()
    time.sleep(0.8)  # longer than the lease: the leader renews it every tick
    assert not second.leading.is_set() and set(ran) == {"first"}
    assert first.leadership.holder() == first.leadership.token
    first.leadership.release = lambda: None  # it dies: nobody gives the key back
    first.stop()
    died = time.monotonic()
    assert second.leading.wait(5)
    assert 0.3 < time.monotonic() - died < 3  # once the lease ran out, not before
    count = len(ran)
    time.sleep(0.3)
    assert ran[-1] == "second" and len(ran) > count
    second.stop()  # a clean stop gives the lead back at once
    assert second.leadership.holder() is None


def test_without_redis_nobody_leads_and_nothing_breaks(ctx):
    ran: list[str] = []
    runner = _runner(ctx, "redis://127.0.0.1:1/0", "lonely", ran, lease=1)
    runner.start()
    time.sleep(0.3)
    assert runner.is_alive() and not runner.leading.is_set() and ran == []
    runner.stop()


def test_login_attempts_are_counted_in_redis(redis_url, tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_url)
    settings = load_settings({"I2I_INSTANCE_DIR": str(tmp_path)})
    assert settings["REDIS_URL"] == settings["RATELIMIT_STORAGE_URI"] == redis_url
    app = build_app(
        f"sqlite:///{tmp_path / 'redis.sqlite'}",
        tmp_path,
        REDIS_URL=redis_url,
        RATELIMIT_STORAGE_URI=redis_url,
        I2I_LOGIN_RATE_LIMIT="3 per minute",
    )
    codes = []
    with app.app_context():
        for _ in range(2):  # two clients share the count kept in Redis
            client = Client(app.test_client())
            for _ in range(2):
                answer = client.post("/login", {"username": "x", "password": "y"})
                codes.append(answer.status_code)
    assert codes == [401, 401, 401, 429]  # wrong password thrice, then the limit
    import redis

    assert any(b"LIMITER" in key for key in redis.Redis.from_url(redis_url).keys("*"))


def test_a_runner_thread_is_a_daemon_and_stops_on_request(ctx, redis_url):
    runner = _runner(ctx, redis_url, "x", [], lease=1)
    runner.start()
    assert runner.daemon and runner.leading.wait(5)
    stopped = threading.Event()
    threading.Thread(target=lambda: (runner.stop(), stopped.set())).start()
    assert stopped.wait(5) and not runner.is_alive()
