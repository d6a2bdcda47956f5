"""Posting and feed latency, and home-feed throughput, with 1,000,000 notes in SQLite.

One command: `make bench` (or `.venv/bin/python bench/feed_and_post.py`). It builds the
database once (cached under bench/out/), serves it with gunicorn (2 workers) on loopback,
and measures over HTTP:
  * latency: sequential requests; p50/p95/p99 as the client saw them and as the server
    measured them (the app's Server-Timing header);
  * throughput: several client processes on keep-alive connections for a fixed time,
    for the home feed and for a trivial route served by the same server in the same run.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
PASSWORD = "bench-password-1"
TARGETS = {"post_p95_ms": 25.0, "feed_p95_ms": 40.0, "home_vs_trivial_rps": 0.25}


def build_database(notes: int) -> Path:
    path = OUT / f"feed-{notes}.sqlite"
    if path.exists():
        return path
    from flask_migrate import upgrade

    from app import accounts, create_app, follows
    from bench.fill import fill_sqlite

    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    for leftover in OUT.glob(tmp.name + "*"):
        leftover.unlink()
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}", "I2I_INSTANCE_DIR": str(OUT / "instance")}
    )
    with app.app_context():
        upgrade()
    print(f"Filling {tmp.name} with {notes:,} notes...", flush=True)
    started = time.perf_counter()
    fill_sqlite(str(tmp), notes=notes)
    print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)
    with app.app_context():
        me = accounts.create_user("bench", password=PASSWORD, role="responder")
        for user_id in range(1, 31):
            follows.follow(me, "user", user_id * 37)
        for tag_id in (1, 2, 3, 5, 8, 13, 40, 120, 900, 3000):
            follows.follow(me, "tag", tag_id)
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()
    tmp.rename(path)
    return path


class Session:
    """A keep-alive HTTP connection carrying the session cookie and the CSRF token."""

    def __init__(self, port: int, cookie: str = "", token: str = "") -> None:
        self.port, self.cookie, self.token = port, cookie, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body: dict | None = None, htmx: bool = False):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if htmx:
            headers["HX-Request"] = "true"
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.token
        started = time.perf_counter()
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        timing = re.search(r"dur=([\d.]+)", response.getheader("Server-Timing") or "")
        return response, payload, elapsed, float(timing.group(1)) if timing else None

    def login(self) -> None:
        response, payload, *_ = self.request("GET", "/login")
        self.cookie = response.getheader("Set-Cookie").split(";")[0]
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', payload).group(1)
        self.token = token.decode()
        body = {"username": "bench", "password": PASSWORD, "csrf_token": self.token}
        response, *_ = self.request("POST", "/login", body)
        assert response.status == 302, response.status
        self.cookie = response.getheader("Set-Cookie").split(";")[0]
        response, payload, *_ = self.request("GET", "/")
        self.token = re.search(rb'"X-CSRFToken": "([^"]+)"', payload).group(1).decode()


def percentiles(values: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def latency(session: Session, label: str, method: str, path_for, count: int, body_for=None):
    client, server, statuses = [], [], set()
    for i in range(count + 20):
        body = body_for(i) if body_for else None
        response, _, elapsed, app_ms = session.request(method, path_for(i), body, htmx=bool(body))
        statuses.add(response.status)
        if i >= 20:  # the first requests warm caches and connections
            client.append(elapsed)
            server.append(app_ms)
    return {
        "label": label,
        "client": percentiles(client),
        "server": percentiles(server),
        "statuses": sorted(statuses),
        "n": count,
    }


def _hammer(args) -> int:
    port, cookie, path, seconds = args
    session = Session(port, cookie)
    done, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        response, *_ = session.request("GET", path)
        if response.status == 200:
            done += 1
    return done


def throughput(port: int, cookie: str, path: str, clients: int, seconds: float) -> float:
    with multiprocessing.Pool(clients) as pool:
        counts = pool.map(_hammer, [(port, cookie, path, seconds)] * clients)
    return sum(counts) / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300, help="per latency row")
    parser.add_argument("--seconds", type=float, default=10.0, help="per throughput row")
    parser.add_argument("--clients", type=int, default=4, help="throughput client processes")
    args = parser.parse_args()

    database = build_database(args.notes)
    from tests.loopback import free_port, wait_until_listening

    port = free_port()
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{database}",
        "I2I_INSTANCE_DIR": str(OUT / "instance"),
        "I2I_ENV": "bench",
        "SECRET_KEY": "feed-and-post-bench-secret",
        "I2I_LOGIN_RATE_LIMIT": "1000 per minute",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_listening(port, server, "gunicorn")
        session = Session(port)
        session.login()
        rows = [
            latency(
                session,
                "post a note (htmx)",
                "POST",
                lambda i: "/notes",
                args.requests,
                body_for=lambda i: {"text": f"bench note {i} slow #tag00001 #tag{i % 500:05d}"},
            ),
            latency(session, "home feed, first page", "GET", lambda i: "/", args.requests),
            latency(
                session,
                "tag feed, first page",
                "GET",
                lambda i: f"/tags/tag{1 + i % 50:05d}",
                args.requests,
            ),
            latency(session, "trivial route /healthz", "GET", lambda i: "/healthz", args.requests),
        ]
        trivial = throughput(port, session.cookie, "/healthz", args.clients, args.seconds)
        home = throughput(port, session.cookie, "/", args.clients, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print_table(args, rows, home, trivial)
    return 0


def print_table(args, rows, home: float, trivial: float) -> None:
    print(
        f"\nI2I feed and post benchmark: {args.notes:,} notes in SQLite, gunicorn 2 workers, "
        f"{args.requests} sequential requests a row\n"
    )
    print(
        f"{'request':<26} {'client p50':>10} {'p95':>8} {'p99':>8} {'server p50':>11} {'p95':>8}"
        f" {'p99':>8}  status"
    )
    for row in rows:
        c, s = row["client"], row["server"]
        print(
            f"{row['label']:<26} {c[0]:>10.1f} {c[1]:>8.1f} {c[2]:>8.1f} {s[0]:>11.1f} {s[1]:>8.1f}"
            f" {s[2]:>8.1f}  {','.join(map(str, row['statuses']))}"
        )
    print(f"\nthroughput ({args.clients} client processes, {args.seconds:.0f} s each):")
    print(f"  trivial route  {trivial:8.0f} req/s")
    print(
        f"  home feed      {home:8.0f} req/s   ratio {home / trivial:.0%}"
        f" (goal ≥ {TARGETS['home_vs_trivial_rps']:.0%})"
    )
    post, home_row, tag_row = rows[0]["server"][1], rows[1]["server"][1], rows[2]["server"][1]
    print(
        f"\ngoals (server p95): post {post:.1f} ms ≤ {TARGETS['post_p95_ms']:.0f}; "
        f"home {home_row:.1f} ms and tag {tag_row:.1f} ms ≤ {TARGETS['feed_p95_ms']:.0f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
