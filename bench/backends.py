"""SQLite against PostgreSQL: posting, feeds and search with the same 1,000,000 notes.

One command: `.venv/bin/python bench/backends.py [--notes 1000000] [--requests 1000]`.
The simulator's notes (bench/dataset.py) are imported once into SQLite and once into a
PostgreSQL cluster kept under bench/out/postgres/ (started by this script, loopback only,
as durable as the SQLite default: fsync on, commits not waited for). Both share one search
index (the same notes have the same ids). Each run serves a fresh copy of each with
gunicorn (2 sync workers, background duties on), both at once, and times, over HTTP,
sequential requests a row, sent to the two in turn: posting a note, the home feed, a
tag feed, and searches (a word, two words, a phrase, a tag, newest first); each row
starts once both search indexes have taken in the notes posted before it. Prints
server-side p50/p95 (the app's Server-Timing header) for both and the ratio; goal:
PostgreSQL within 1.5× of SQLite.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
GOAL = 1.5
ROWS = (
    ("post a note", "POST", None),
    ("home feed", "GET", "/"),
    ("tag feed", "GET", "/tags/{tag}"),
    ("search: a word", "GET", "/search?q={word}"),
    ("search: two words", "GET", "/search?q={word}+{other}"),
    ("search: a phrase", "GET", "/search?q=%22{phrase}%22"),
    ("search: a tag", "GET", "/search?q=%23{tag}"),
    ("search: newest first", "GET", "/search?q={word}&order=newest"),
)
WORDS = ["login", "portal", "printer", "queue", "tunnel", "spooler", "badge", "mailbox"]
PHRASES = ["print queue", "login slow", "status resolved", "tunnel drops", "password reset"]


def prepare(url: str, folder: Path) -> None:
    """The benchmark's own account, following 30 people and 10 tags."""
    from dataset import bench_app
    from feed_and_post import PASSWORD
    from sqlalchemy import select

    from app import accounts, follows
    from app.extensions import db
    from app.models import Hashtag, User

    app = bench_app(url, folder)
    with app.app_context():
        me = accounts.create_user("bench", password=PASSWORD, role="responder")
        people = db.session.scalars(select(User.id).order_by(User.id).limit(300)).all()
        for user_id in people[::10]:
            follows.follow(me, "user", user_id)
        for tag_id in db.session.scalars(
            select(Hashtag.id).order_by(Hashtag.note_count.desc()).limit(10)
        ):
            follows.follow(me, "tag", tag_id)
        db.engine.dispose()


def settle(urls: list[str], timeout: float = 300.0) -> None:
    """Wait until every site's search index has taken in the notes posted (its outbox is
    empty), so that the next row is timed on a quiet machine, not against the indexing
    of the row before (which weighs on whichever site indexes more slowly)."""
    from sqlalchemy import create_engine, text

    engines = [create_engine(url) for url in urls]
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            waiting = 0
            for engine in engines:
                with engine.connect() as connection:
                    waiting += connection.scalar(
                        text("SELECT count(*) FROM search_outbox WHERE applied_at IS NULL")
                    )
            if not waiting:
                return
            time.sleep(0.5)
        raise SystemExit(f"the search outboxes still held {waiting} notes after {timeout:.0f} s")
    finally:
        for engine in engines:
            engine.dispose()


def measure(sites: dict[str, tuple[str, Path]], requests: int) -> dict[str, dict]:
    """Serve every database at once and send each row's requests to them in turn (the
    first of each pair alternating), so a machine that speeds up or slows down while
    the benchmark runs (a shared VM does) weighs on all alike."""
    from feed_and_post import Session, percentiles
    from load import Site

    running = {name: Site(url, folder, workers=2) for name, (url, folder) in sites.items()}
    try:
        sessions = {name: Session(site.port) for name, site in running.items()}
        for session in sessions.values():
            session.login()
        tags = ["login", "printing", "portal", "howto", "mail", "queue", "vpn"]
        figures: dict[str, dict] = {name: {} for name in sites}
        for label, method, path in ROWS:
            times: dict[str, list[float]] = {name: [] for name in sites}
            for i in range(requests + 20):  # the first 20 warm caches and connections
                target = (
                    "/notes"
                    if path is None
                    else path.format(
                        tag=tags[i % len(tags)],
                        word=WORDS[i % len(WORDS)],
                        other=WORDS[(i * 3 + 1) % len(WORDS)],
                        phrase=PHRASES[i % len(PHRASES)].replace(" ", "+"),
                    )
                )
                body = None
                if method == "POST":
                    body = {"text": f"backend bench {i}: queue slow again #{tags[i % len(tags)]}"}
                names = list(sessions) if i % 2 == 0 else list(reversed(sessions))
                for name in names:
                    response, _, _, app_ms = sessions[name].request(
                        method, target, body, htmx=body is not None
                    )
                    if response.status >= 400:
                        raise SystemExit(f"{name}: {label} answered {response.status}")
                    if i >= 20:
                        times[name].append(app_ms)
            for name, values in times.items():
                p50, p95, _ = percentiles(values)
                figures[name][label] = (p50, p95)
            settle([url for url, _ in sites.values()])
    finally:
        for site in running.values():
            site.stop()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=1000, help="per row")
    args = parser.parse_args()
    from dataset import OUT, postgres_dataset, scratch_copy, sqlite_dataset

    from tests import pg_server

    dataset = sqlite_dataset(args.notes, args.seed)
    server = pg_server.start(OUT / "postgres")
    try:
        name = postgres_dataset(server, args.notes, args.seed)
        lite = scratch_copy(dataset, "backends-sqlite")
        prepare(f"sqlite:///{lite}/bench.sqlite", lite)
        server.psql("DROP DATABASE IF EXISTS backends_run")
        started = time.perf_counter()
        server.psql(f"CREATE DATABASE backends_run TEMPLATE {name}")
        print(f"copied the PostgreSQL database in {time.perf_counter() - started:.0f} s")
        pg = OUT / "backends-postgresql"
        shutil.rmtree(pg, ignore_errors=True)
        shutil.copytree(dataset / "search", pg / "search")
        url = server.url("backends_run")
        prepare(url, pg)
        sites = {"SQLite": (f"sqlite:///{lite}/bench.sqlite", lite), "PostgreSQL": (url, pg)}
        results = measure(sites, args.requests)
    finally:
        server.stop()
    report(results, args)
    return 0


def report(results: dict, args) -> None:
    lite, pg = results["SQLite"], results["PostgreSQL"]
    print(
        f"\nI2I on SQLite and PostgreSQL: {args.notes:,} notes, gunicorn 2 workers each, "
        f"{args.requests} sequential requests a row to each, in turn; server-side ms\n"
    )
    print(
        f"{'request':<22} {'SQLite p50':>10} {'p95':>7} {'PostgreSQL p50':>15} {'p95':>7} "
        f"{'p95 ratio':>9}"
    )
    worst = 0.0
    for label, _, _ in ROWS:
        ratio = pg[label][1] / lite[label][1] if lite[label][1] else float("inf")
        worst = max(worst, ratio)
        print(
            f"{label:<22} {lite[label][0]:>10.1f} {lite[label][1]:>7.1f} "
            f"{pg[label][0]:>15.1f} {pg[label][1]:>7.1f} {ratio:>8.2f}×"
        )
    print(f"\nworst p95 ratio {worst:.2f}× (goal ≤ {GOAL}×)")


if __name__ == "__main__":
    raise SystemExit(main())
