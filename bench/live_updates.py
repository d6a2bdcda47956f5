"""Live updates under load: how long after a colleague posts 200 open pages see it, and
what their asking costs the server.

One command: `.venv/bin/python bench/live_updates.py [--pages 200] [--seconds 60]
[--workers 4] [--post-every 2]` (nothing to install beyond the project).

It builds the demo organisation in a throw-away instance, adds 20 readers (following
the poster, so the note reaches their home feeds as well as /all) and serves I2I with
gunicorn (sync workers, the background duties on, as in production) on loopback. Then
200 simulated open pages, 10 per reader, half on the home feed and half on /all, do
what static/js/app.js does: ask `/live?s=..&u=..` every second (starting at random
moments), and when the change counter moved ask their feed's bar (`?poll=1&after=..`)
once. A poster posts a note through the web form every `--post-every` seconds. A page
has seen a note when its bar counts it; the latency is from the moment the poster sent
the note to that answer. Printed: post-to-seen latency (p50, p95, max over every page
and note), the requests the pages made (204s, 200s, bar questions) per second, and the
server's CPU (gunicorn's master and workers, from /proc) over the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "live-bench-password"
READERS = 20
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def prepare(instance: Path) -> None:
    """The demo, 20 readers following the poster, cheap password hashes for sign-in."""
    from flask_migrate import upgrade
    from sqlalchemy import update
    from werkzeug.security import generate_password_hash

    from app import accounts, create_app, follows
    from app.extensions import db
    from app.intake import demo
    from app.models import User

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'i2i.sqlite'}",
            "I2I_INSTANCE_DIR": str(instance),
            "SECRET_KEY": "live-bench-secret",
        }
    )
    with app.app_context():
        upgrade()
        demo.build_demo(notes=6000, seed=7, days=42, instance_dir=instance)
        names = ["poster", *(f"reader{n:02d}" for n in range(1, READERS + 1))]
        accounts.ensure_accounts(set(names))
        db.session.execute(
            update(User)
            .where(User.username.in_(names))
            .values(password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"))
        )
        db.session.commit()
        poster = accounts.get_user("poster")
        for name in names[1:]:
            follows.follow(accounts.get_user(name), "user", poster.id)
        db.engine.dispose()


class Site:
    def __init__(self, instance: Path, workers: int) -> None:
        from bench.serving import site_env, start_gunicorn

        url = f"sqlite:///{instance / 'i2i.sqlite'}"
        env = site_env(url, instance, "live-bench-secret")
        self.process, self.port = start_gunicorn(env, workers)

    def cpu_seconds(self) -> float:
        """CPU used so far by gunicorn's master and its workers (user + system)."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids += [int(p) for p in children.read_text().split()]
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLOCK_TICKS

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


# A tiny HTTP/1.1 client on asyncio: gunicorn's sync workers close each connection, so
# every request is a connection of its own, as a browser's would be without keep-alive.


@dataclass
class Answer:
    status: int
    headers: dict[str, list[str]]
    body: str


async def request(port: int, method: str, path: str, cookie: str = "", form=None) -> Answer:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = urlencode(form).encode() if form is not None else b""
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    if cookie:
        head.append(f"Cookie: {cookie}")
    if form is not None:
        head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head_bytes, _, payload = raw.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return Answer(int(lines[0].split()[1]), headers, payload.decode("utf-8", "replace"))


async def sign_in(port: int, username: str) -> str:
    page = await request(port, "GET", "/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.body)[1]
    cookie = page.headers["set-cookie"][0].split(";")[0]
    form = {"csrf_token": token, "username": username, "password": PASSWORD}
    answer = await request(port, "POST", "/login", cookie, form)
    assert answer.status == 302, f"{username} could not sign in ({answer.status})"
    return answer.headers["set-cookie"][-1].split(";")[0]


@dataclass
class Tally:
    posted: dict[int, float] = field(default_factory=dict)  # note number → when sent
    latencies: list[float] = field(default_factory=list)
    requests: Counter = field(default_factory=Counter)
    unseen: int = 0


async def open_page(port: int, cookie: str, path: str, tally: Tally, stop: float) -> None:
    """One open page as static/js/app.js drives it."""
    page = await request(port, "GET", path, cookie)
    stamp = re.search(r'data-live-stamp="(\d+)"', page.body)[1]
    unread = re.search(r'data-unread="(\d+)"', page.body)[1]
    bar = re.search(r'hx-get="\?poll=1&amp;after=([0-9_]+)"', page.body)[1]
    seen = 0  # how many of the poster's notes this page's bar counts
    await asyncio.sleep(random.random())  # pages opened at different moments
    while time.perf_counter() < stop:
        started = time.perf_counter()
        answer = await request(port, "GET", f"/live?s={stamp}&u={unread}", cookie)
        tally.requests[answer.status] += 1
        if answer.status == 200:
            now = json.loads(answer.body)
            unread = str(now["u"])
            if now["s"] != stamp:
                stamp = now["s"]
                counted = await request(port, "GET", f"{path}?poll=1&after={bar}", cookie)
                tally.requests["bar"] += 1
                found = re.search(r">(\d+) new note", counted.body)
                count = int(found[1]) if found else 0
                arrived = time.perf_counter()
                for number in range(seen + 1, count + 1):
                    if number in tally.posted:
                        tally.latencies.append(arrived - tally.posted[number])
                seen = max(seen, count)
        await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))
    tally.unseen += max(0, len(tally.posted) - seen)


async def poster(port: int, cookie: str, every: float, tally: Tally, stop: float) -> None:
    page = await request(port, "GET", "/all", cookie)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.body)[1]
    await asyncio.sleep(2.0)  # every page is open and asking
    number = 0
    while time.perf_counter() < stop - 3.0:  # the last note has time to arrive
        number += 1
        tally.posted[number] = time.perf_counter()
        form = {"csrf_token": token, "text": f"live bench note {number} #livebench"}
        answer = await request(port, "POST", "/notes", cookie, form)
        assert answer.status == 302, answer.status
        await asyncio.sleep(max(0.0, min(every, stop - 3.0 - time.perf_counter())))


async def run(port: int, pages: int, seconds: float, every: float, site: Site) -> dict:
    readers = [f"reader{n:02d}" for n in range(1, READERS + 1)]
    cookies = {name: await sign_in(port, name) for name in ["poster", *readers]}
    tally = Tally()
    stop = time.perf_counter() + seconds
    cpu_before, wall_before = site.cpu_seconds(), time.perf_counter()
    jobs = [
        open_page(port, cookies[readers[n % READERS]], "/" if n % 2 else "/all", tally, stop)
        for n in range(pages)
    ]
    jobs.append(poster(port, cookies["poster"], every, tally, stop))
    await asyncio.gather(*jobs)
    wall = time.perf_counter() - wall_before
    return {"tally": tally, "cpu": site.cpu_seconds() - cpu_before, "wall": wall}


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def report(result: dict, args) -> None:
    tally, wall = result["tally"], result["wall"]
    lat = sorted(tally.latencies)
    asked = tally.requests[204] + tally.requests[200]
    print()
    print(f"{args.pages} open pages asking every second, gunicorn {args.workers} sync workers,")
    print(f"a note every {args.post_every:g} s, {wall:.0f} s on {os.cpu_count()} cores")
    print()
    print("| notes | seen (page × note) | not seen | p50 | p95 | max |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {len(tally.posted)} | {len(lat):,} | {tally.unseen} | {percentile(lat, 0.5):.2f} s "
        f"| {percentile(lat, 0.95):.2f} s | {lat[-1]:.2f} s |"
    )
    print()
    print("| /live asked | of them 204 | bar questions | requests/s | server CPU |")
    print("|---|---|---|---|---|")
    per_second = (asked + tally.requests["bar"] + len(tally.posted)) / wall
    cpu = result["cpu"] / wall
    print(
        f"| {asked:,} | {tally.requests[204] / asked:.0%} | {tally.requests['bar']:,} "
        f"| {per_second:.0f} | {cpu:.0%} of one core ({cpu / os.cpu_count():.0%} of the machine) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--post-every", type=float, default=2.0)
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="i2i-live-"))
    try:
        print("building the demo organisation…", file=sys.stderr)
        prepare(instance)
        site = Site(instance, args.workers)
        try:
            result = asyncio.run(run(site.port, args.pages, args.seconds, args.post_every, site))
        finally:
            site.stop()
        report(result, args)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
