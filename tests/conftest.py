"""Fixtures: the app on a real SQLite file and on a real PostgreSQL server, HTTP clients, factories.

Every test that asks for `app` (or anything built on it) runs twice: once on SQLite, once
on PostgreSQL. The schema is built by the Alembic migrations, as in production.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app, incidents, queue, results
from app.clock import utcnow
from app.extensions import db, limiter
from app.search import finder
from tests import pg_server

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg_server.PostgresServer]:
    server = pg_server.start()
    yield server
    server.stop()


def build_app(url: str, instance_dir, **overrides) -> Flask:
    from flask_migrate import upgrade

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "I2I_INSTANCE_DIR": str(instance_dir),
            "SECRET_KEY": "test-secret",
            "I2I_LOGIN_RATE_LIMIT": "5 per minute",
            **overrides,
        }
    )
    with app.app_context():
        upgrade()
    return app


def database_url(request, backend: str, instance, name: str) -> str:
    """A fresh, empty database on `backend` for one app (or one CLI run)."""
    if backend == "sqlite":
        return f"sqlite:///{instance / (name + '.sqlite')}"
    server = request.getfixturevalue("postgres")
    server.psql(f"CREATE DATABASE {name}")
    return server.url(name)


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory) -> Flask:
    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    return build_app(database_url(request, request.param, instance, "i2i_test"), instance)


def wipe(app: Flask) -> None:
    """Empty every table (faster than rebuilding the schema for each test)."""
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(text(f"DELETE FROM {table}"))
        limiter.reset()
    shutil.rmtree(Path(app.config["I2I_INSTANCE_DIR"]) / "search", ignore_errors=True)
    finder.forget_searchers()
    results.forget(app)
    app.extensions["i2i_queue"]["huey"].flush()  # job ids start again


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """A clean database and an application context for domain-level tests."""
    wipe(app)
    with app.app_context():
        yield app
        db.session.remove()


JOB_POLL = re.compile(r'class="card job job-(?:queued|running)"[^>]*?hx-get="([^"]+)"', re.S)
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


class Client:
    """The Flask test client speaking HTTP like a browser: it carries the CSRF token.

    Each request runs in an application context of its own, as in a server: nothing in
    `g` (the signed-in user, the CSRF token) or in the database session leaks between the
    test's own context and the request, or between two clients.
    """

    def __init__(self, flask_client: FlaskClient) -> None:
        self.http = flask_client
        self.token: str | None = None

    def open(self, *args, **kwargs):
        db.session.commit()  # end the test's read snapshot so it sees what the request writes
        outer = _cv_app.set(None)
        try:
            return self.http.open(*args, **kwargs)
        finally:
            _cv_app.reset(outer)

    def get(self, url: str, *, htmx: bool = False, **kwargs):
        headers = kwargs.pop("headers", {}) | ({"HX-Request": "true"} if htmx else {})
        response = self.open(url, method="GET", headers=headers, **kwargs)
        self._remember_token(response)
        return response

    def post(
        self, url: str, data: dict | None = None, *, htmx: bool = False, csrf: bool = True, **kwargs
    ):
        if csrf and self.token is None:
            self.get("/login")
        headers = kwargs.pop("headers", {})
        if htmx:
            headers |= {"HX-Request": "true"}
        data = dict(data or {})
        if csrf:
            if htmx:
                headers["X-CSRFToken"] = self.token
            else:
                data.setdefault("csrf_token", self.token)
        response = self.open(url, method="POST", data=data, headers=headers, **kwargs)
        self._remember_token(response)
        return response

    def waited(self, url: str, *, htmx: bool = False):
        """GET `url`; while it answers with a job at work (a page that polls it), run the
        queue here as its consumer would and follow the page's own poll address."""
        response = self.get(url, htmx=htmx)
        for _ in range(5):
            polled = JOB_POLL.search(response.get_data(as_text=True))
            if polled is None:
                return response
            queue.drain(self.http.application)
            response = self.get(html.unescape(polled.group(1)), htmx=htmx)
        raise AssertionError(f"{url} still waits for its job")

    def login(self, username: str, password: str = "correct horse battery"):
        response = self.post("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.token = None
        self.get("/")
        return response

    def _remember_token(self, response) -> None:
        if response.mimetype == "text/html":
            match = CSRF_INPUT.search(response.get_data(as_text=True))
            if match:
                self.token = match.group(1) or match.group(2)


@pytest.fixture
def client(ctx: Flask) -> Client:
    return Client(ctx.test_client())


@pytest.fixture
def other_client(ctx: Flask) -> Client:
    return Client(ctx.test_client())


@pytest.fixture
def make_user(ctx):
    from app import accounts

    def make(
        username: str = "sam",
        role: str = "responder",
        password: str = "correct horse battery",
        **kwargs,
    ):
        return accounts.create_user(username, role=role, password=password, **kwargs)

    return make


@pytest.fixture
def post(ctx):
    from app.notes import post_note

    return post_note


PEOPLE = ("sam", "lee", "kim", "noor", "ravi")


@pytest.fixture
def world(make_user, post):
    """Five people work a VPN incident with #vpn_drop and #tunnel; four of them and xavi
    (who posts nowhere else) work a restricted one with #vpn_drop, #exfiltration and
    #lateral."""
    people = {name: make_user(name) for name in (*PEOPLE, "xavi")}
    now = utcnow()
    vpn = incidents.register(people["sam"], title="Tunnels dropping", service="VPN")
    secret = incidents.register(people["lee"], title="Intrusion", restricted=True)
    incidents.add_member(people["lee"], secret, people["xavi"])
    for i, name in enumerate(PEOPLE):
        at = now - timedelta(days=3, hours=i)
        post(people[name], "tunnel dropped #vpn_drop #tunnel", incident=vpn, occurred_at=at)
        post(people[name], f"checked dns {i} #dns", occurred_at=at)
        post(people[name], f"dns again {i} #dns", occurred_at=at)
        if name != "sam":
            incidents.add_member(people["lee"], secret, people[name])
            post(
                people[name],
                "odd logins #vpn_drop #exfiltration #lateral",
                incident=secret,
                occurred_at=at,
            )
    post(people["xavi"], "saw it too #exfiltration @lee", incident=secret)
    return people
