"""Several gunicorn workers on one SQLite file, as production runs them: concurrent posts,
edits and retractions all succeed, the leader of the background duties is killed with
SIGKILL on the way, and afterwards every change is in the index (one writer, no lock
error ever reaching a person)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.loopback import free_port, wait_until_listening

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CSRF_FORM = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_HTMX = re.compile(r'"X-CSRFToken": "([^"]+)"')
NOTE_ID = re.compile(r'id="note-(\d+)"')
PASSWORD = "correct horse battery"
POSTERS, POSTS = 4, 30
# A poster thread that dies must fail the test, not vanish into a warning.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")


def prepared(tmp_path: Path, login_limit: str = "1000 per minute") -> dict:
    """An upgraded SQLite site with POSTERS people; the environment to serve it with."""
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'i2i.sqlite'}",
        "I2I_INSTANCE_DIR": str(tmp_path),
        "I2I_ENV": "production",
        "SECRET_KEY": "gunicorn-test-secret",
        "I2I_SECURE_COOKIES": "0",
        "I2I_LOGIN_RATE_LIMIT": login_limit,
    }
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run([str(BIN / "i2i"), "db", "upgrade"], **run)
    for n in range(POSTERS):
        subprocess.run(
            [str(BIN / "i2i"), "users", "create", f"poster{n}", "--role", "responder"],
            input=PASSWORD,
            **run,
        )
    return env


@contextmanager
def serving(command: list[str], env: dict, port: int, what: str) -> Iterator[str]:
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_until_listening(port, server, what)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def gunicorn(port: int, workers: int = 3) -> list[str]:
    return [
        *(str(BIN / "gunicorn"), "-c", "python:app.gunicorn_conf", "--workers", str(workers)),
        *("--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:create_app()"),
    ]


@pytest.fixture
def site(tmp_path):
    env, port = prepared(tmp_path), free_port()
    with serving(gunicorn(port), env, port, "gunicorn") as base:
        yield base, tmp_path


def _signed_in(base: str, username: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    token = CSRF_FORM.search(session.get(f"{base}/login").text).group(1)
    home = session.post(
        f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    return session, CSRF_HTMX.search(home.text).group(1)


def _leader(instance: Path) -> int:
    deadline = time.time() + 20
    while time.time() < deadline:
        lock = instance / "jobs.lock"
        holder = lock.read_text().split() if lock.exists() else []
        if holder:
            return int(holder[0])
        time.sleep(0.1)
    raise AssertionError("no worker leads the background duties")


def test_concurrent_writers_lose_nothing_while_the_index_writer_is_killed(site):
    base, instance = site
    statuses: list[int] = []
    posted: dict[str, int] = {}  # the word each note carries → its id
    retracted: list[str] = []  # the words of retracted notes
    dropped: list[str] = []
    lock = threading.Lock()

    def call(session: requests.Session, path: str, **form) -> requests.Response | None:
        """POST; None when the request was in flight in the killed worker (not acknowledged:
        whether it happened is unknown, so its note is left out of the checks)."""
        try:
            answer = session.post(f"{base}{path}", **form)
        # Cut before the answer or in the middle of its body: either way not acknowledged.
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
            with lock:
                dropped.append(path)
            return None
        with lock:
            statuses.append(answer.status_code)
        return answer

    def poster(n: int) -> None:
        session, token = signed_in[n]
        headers = {"HX-Request": "true", "X-CSRFToken": token}
        for i in range(POSTS):
            word = f"w{n}x{i}q"
            answer = call(session, "/notes", data={"text": f"{word} #load"}, headers=headers)
            if answer is None or answer.status_code != 201:
                continue
            note_id = int(NOTE_ID.search(answer.text).group(1))
            if i % 10 == 3:  # edit: the index must end up with the new word only
                form = {"text": f"{word}e edited #load", "csrf_token": token}
                if call(session, f"/notes/{note_id}/edit", data=form) is None:
                    continue
                word += "e"
            if i % 10 == 7:
                gone = call(session, f"/notes/{note_id}/retract", headers=headers)
                if gone is not None:
                    with lock:
                        retracted.append(word)
                continue
            with lock:
                posted[word] = note_id

    signed_in = [_signed_in(base, f"poster{n}") for n in range(POSTERS)]
    threads = [threading.Thread(target=poster, args=(n,)) for n in range(POSTERS)]
    for thread in threads:
        thread.start()
    while len(statuses) < POSTERS * POSTS // 4:
        time.sleep(0.05)
    os.kill(_leader(instance), signal.SIGKILL)  # the index writer, a quarter of the way in
    for thread in threads:
        thread.join(timeout=120)
    assert statuses and all(s < 400 for s in statuses), sorted(set(statuses))
    assert len(dropped) <= 3 and len(posted) + len(retracted) + len(dropped) == POSTERS * POSTS
    everything = len(posted)  # acknowledged and not retracted

    session, _ = _signed_in(base, "poster0")
    # Dropped posts may or may not have been committed before their worker died.
    expected = range(everything, everything + len(dropped) + 1)
    deadline, count = time.time() + 30, None
    while count not in expected and time.time() < deadline:  # a worker takes the lead
        page = session.get(f"{base}/search", params={"q": "#load", "order": "newest"}).text
        count = int(re.search(r"([\d,]+) notes?,", page).group(1).replace(",", ""))
        time.sleep(0.5)
    assert count in expected and "degraded" not in page, (count, everything, dropped)
    for word, note_id in list(posted.items())[:: max(1, len(posted) // 12)]:
        found = session.get(f"{base}/search", params={"q": word}).text
        assert f'href="/notes/{note_id}"' in found, word
    edited = [w for w in posted if w.endswith("e")]
    assert edited and "1 note" in session.get(f"{base}/search", params={"q": edited[0]}).text
    stale = session.get(f"{base}/search", params={"q": edited[0].removesuffix("e")}).text
    assert "Nothing matches" in stale  # the word before the edit is gone from the index
    for word in retracted[:3]:
        assert "Nothing matches" in session.get(f"{base}/search", params={"q": word}).text


def test_the_sign_in_limit_is_counted_once_for_all_workers(tmp_path):
    env, port = prepared(tmp_path, login_limit="5 per minute"), free_port()
    with serving(gunicorn(port, workers=3), env, port, "gunicorn") as base:
        answers = []
        for _ in range(12):  # each from a new connection: the workers take turns at them
            session = requests.Session()
            token = CSRF_FORM.search(session.get(f"{base}/login").text).group(1)
            form = {"username": "poster0", "password": "wrong password", "csrf_token": token}
            answers.append(session.post(f"{base}/login", data=form).status_code)
    assert answers == [401] * 5 + [429] * 7


def test_the_development_server_runs_the_background_duties_too(tmp_path):
    env, port = prepared(tmp_path) | {"I2I_ENV": "development"}, free_port()
    command = [str(BIN / "flask"), "--app", "wsgi", "run", "--port", str(port)]
    with serving(command, env, port, "flask run"):
        deadline = time.time() + 30
        while not (tmp_path / "search" / "CURRENT").exists() and time.time() < deadline:
            time.sleep(0.2)
        assert (tmp_path / "search" / "CURRENT").exists()  # the index was built
