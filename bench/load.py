"""Load and faults: posters and readers against gunicorn with 4 workers, nothing lost.

One command: `.venv/bin/python bench/load.py [--notes 1000000] [--seconds 60]
[--runs steady,kill-worker,remove-index] [--backend sqlite|postgresql]`.

On a copy of the 1,000,000-note dataset (bench/dataset.py) it serves I2I with gunicorn
(4 sync workers, the background duties on, as in production) on loopback and runs
Locust (bench/locustfile.py) headless for a fixed time: 50 posters (a note every 1–5 s,
now and then a reply) and 200 readers (home, all notes, a tag, a search, a person, a
thread every 1–5 s), started 50 a second. Each run prints throughput, p50/p95/p99 of
every request but the sign-ins and outcomes by status (both over the whole run; the
per-request table counts from the moment all 250 are up), then proves that
every note the site acknowledged (201) is in the database and, once the
index has caught up, in the search index. The fault runs do the same while, half-way,
  * kill-worker: the worker that leads the background duties (the index writer) is
    killed with SIGKILL; gunicorn starts another and a surviving worker takes over;
  * remove-index: the search index directory is deleted; search says it is degraded,
    posting goes on, and afterwards `i2i search rebuild` then `i2i search verify` is clean.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
BIN = Path(sys.executable).parent
PASSWORD = "load-bench-password"
RUNS = ("steady", "kill-worker", "remove-index")
SPAWN_RATE = 50  # users started a second: the crowd of 250 is up after 5 s


def prepare(app, args) -> dict:
    """Accounts for the simulated people and what they will post and look for."""
    from sqlalchemy import func, select, update
    from werkzeug.security import generate_password_hash

    from app import accounts, follows
    from app.extensions import db
    from app.models import Hashtag, Note, User

    posters = [f"poster{n:02d}" for n in range(1, args.posters + 1)]
    readers = [f"reader{n:03d}" for n in range(1, args.readers + 1)]
    with app.app_context():
        accounts.ensure_accounts(set(posters + readers))
        db.session.execute(
            update(User)
            .where(User.username.in_(posters + readers))
            # A cheap hash: 250 scrypt checks at once would make the run about signing in.
            .values(
                password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"), active=True
            )
        )
        db.session.commit()
        tags = db.session.scalars(
            select(Hashtag.key)
            .where(Hashtag.canonical_id.is_(None))
            .order_by(Hashtag.note_count.desc())
            .limit(40)
        ).all()
        people = {u.username: u for u in db.session.scalars(select(User))}
        for n, name in enumerate(readers):  # home feeds with something in them
            for other in posters[n % 7 :: 7]:
                follows.follow(people[name], "user", people[other].id)
            tag = db.session.scalar(select(Hashtag).where(Hashtag.key == tags[n % len(tags)]))
            follows.follow(people[name], "tag", tag.id)
        top = db.session.scalar(select(func.max(Note.id)))
        db.engine.dispose()
    words = [
        "login",
        "timeout",
        "portal",
        "password",
        "reset",
        "vpn",
        "latency",
        "printer",
        "ward",
        "shift",
        "queue",
        "outage",
        "restart",
        "certificate",
        "mailbox",
        "badge",
        "dns",
        "sso",
    ]
    return {
        "posters": posters,
        "readers": readers,
        "password": PASSWORD,
        "tags": tags,
        "words": words,
        "top_note": top,
        "poster_count": args.posters,
        "reader_count": args.readers,
        "poster_wait": [1, 5],
        "reader_wait": [1, 5],
    }


class Site:
    """gunicorn serving the run's copy, as `make run` would (background duties on)."""

    def __init__(self, url: str, instance: Path, workers: int) -> None:
        from bench.serving import site_env, start_gunicorn

        self.instance = instance
        self.env = site_env(url, instance, "load-bench-secret")
        self.process, self.port = start_gunicorn(self.env, workers, "--timeout", "60")

    def leader_pid(self) -> int:
        return int((self.instance / "jobs.lock").read_text().split()[0])

    def i2i(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "i2i"), *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def fault(name: str, site: Site, at: float, log: list[str]) -> threading.Thread:
    def act() -> None:
        time.sleep(at)
        if name == "kill-worker":
            pid = site.leader_pid()
            os.kill(pid, signal.SIGKILL)
            log.append(f"{at:.0f} s in: killed worker {pid} (the index writer) with SIGKILL")
        elif name == "remove-index":
            # Gone at once (a rename), then deleted: the writer may be adding files meanwhile.
            doomed = site.instance / "search-removed"
            os.rename(site.instance / "search", doomed)
            shutil.rmtree(doomed, ignore_errors=True)
            log.append(f"{at:.0f} s in: removed {site.instance / 'search'}")

    thread = threading.Thread(target=act, daemon=True)
    thread.start()
    return thread


def run_locust(site: Site, plan: dict, folder: Path, seconds: int) -> dict:
    plan_path = folder / "plan.json"
    plan_path.write_text(json.dumps(plan | {"out": str(folder)}))
    users = plan["poster_count"] + plan["reader_count"]
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(SPAWN_RATE),
            "--reset-stats",  # latencies from the full crowd on; outcomes cover the whole run
            "--run-time",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{site.port}",
            "--csv",
            str(folder / "locust"),
            "--only-summary",
            "--csv-full-history",
            "--stop-timeout",
            "10",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=os.environ | {"I2I_LOAD_PLAN": str(plan_path)},
        timeout=seconds + 120,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "locust.log").open("w"),
    )
    with (folder / "locust_stats.csv").open() as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    outcomes = json.loads(next(folder.glob("outcomes-*.json")).read_text())
    acked = {int(x) for f in folder.glob("acked-*.txt") for x in f.read_text().split()}
    return {"rows": rows, "outcomes": outcomes, "acked": acked, "seconds": seconds}


def check(app, acked: set[int], wait: float = 120.0) -> dict:
    """Acknowledged notes in the database, and (after the writer caught up) in the index."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Note
    from app.search import index

    with app.app_context():
        stored = set()
        ids = sorted(acked)
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            stored |= set(db.session.scalars(select(Note.id).where(Note.id.in_(chunk))))
        deadline, started = time.time() + wait, time.perf_counter()
        while index.lag()[0] and time.time() < deadline:
            db.session.commit()
            time.sleep(0.2)
        caught_up = time.perf_counter() - started
        generation = index.current_generation()
        ix = generation.open()
        with ix.searcher() as searcher:
            indexed = {i for i in acked if searcher.document_number(id=str(i)) is not None}
        ix.close()
        incomplete = generation.incomplete
        db.engine.dispose()
    return {
        "in_db": len(stored),
        "in_index": len(indexed),
        "catch_up": caught_up,
        "incomplete": incomplete,
    }


def longest_silence(per_second: dict, seconds: int) -> int:
    """The longest run of whole seconds in which no request got an answer below 500."""
    longest = current = 0
    for second in range(seconds):
        current = 0 if per_second.get(str(second)) else current + 1
        longest = max(longest, current)
    return longest


def one_run(name: str, args, fresh_copy) -> dict:
    from dataset import bench_app

    url, folder = fresh_copy(f"load_{name.replace('-', '_')}")
    app = bench_app(url, folder)
    plan = prepare(app, args)
    runs = folder / "locust-run"
    runs.mkdir()
    site = Site(url, folder, args.workers)
    log: list[str] = []
    try:
        if name != "steady":
            fault(name, site, args.seconds / 2, log)
        result = run_locust(site, plan, runs, args.seconds)
        after = check(app, result["acked"])  # the site's own writer catches up
        if name == "remove-index":  # rebuilt and verified while the site is up
            rebuilt = site.i2i("search", "rebuild")
            verified = site.i2i("search", "verify")
            log.append(f"afterwards `i2i search rebuild`: {rebuilt.stdout.strip()}")
            log.append(
                f"then `i2i search verify` (exit {verified.returncode}): "
                f"{(verified.stdout or verified.stderr).strip()}"
            )
            after = check(app, result["acked"])
    finally:
        site.stop()
    return result | after | {"name": name, "log": log}


def _percentiles(times: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 of the response times (ms)."""
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def report(results: list[dict], args) -> None:
    print(
        f"\nI2I under load: {args.notes:,} notes ({args.backend}), gunicorn {args.workers} "
        f"sync workers, {args.posters} posters + {args.readers} readers (Locust), "
        f"{args.seconds} s a run; latencies (ms) of every request but the sign-ins\n"
    )
    print(
        f"{'run':<14} {'requests':>8} {'req/s':>6} {'p50':>5} {'p95':>6} {'p99':>6} "
        f"{'5xx':>4} {'conn.err':>8} {'silent s':>8} {'acked':>6} {'in db':>6} "
        f"{'in index':>8}"
    )
    for r in results:
        total = r["rows"]["Aggregated"]
        outcomes = r["outcomes"]["outcomes"]
        p50, p95, p99 = _percentiles(r["outcomes"]["times"])
        print(
            f"{r['name']:<14} {int(total['Request Count']):>8} "
            f"{float(total['Requests/s']):>6.0f} {p50:>5.0f} {p95:>6.0f} "
            f"{p99:>6.0f} {outcomes.get('5xx', 0):>4} "
            f"{outcomes.get('connection error', 0):>8} "
            f"{longest_silence(r['outcomes']['answered_per_second'], r['seconds']):>8} "
            f"{len(r['acked']):>6} {r['in_db']:>6} {r['in_index']:>8}"
        )
    print("\nper request, steady run (ms):")
    steady = results[0]["rows"]
    print(f"{'request':<14} {'count':>7} {'fail':>5} {'p50':>6} {'p95':>6} {'p99':>6}")
    for name, row in steady.items():
        if name not in ("Aggregated", "sign in"):
            print(
                f"{name:<14} {row['Request Count']:>7} {row['Failure Count']:>5} "
                f"{row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
            )
    for r in results:
        for line in r["log"]:
            print(f"{r['name']}: {line}")
        print(
            f"{r['name']}: index caught up {r['catch_up']:.1f} s after the run"
            + ("; it was recreated empty and says so until a rebuild" if r["incomplete"] else "")
        )
    lost = [r["name"] for r in results if r["in_db"] != len(r["acked"])]
    print("\nevery acknowledged note in the database:", "yes" if not lost else f"NO ({lost})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--posters", type=int, default=50)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--runs", default=",".join(RUNS))
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    from dataset import OUT, postgres_dataset, scratch_copy, sqlite_dataset

    dataset = sqlite_dataset(args.notes)
    server = None
    if args.backend == "postgresql":
        from tests import pg_server

        server = pg_server.start(OUT / "postgres")
        template = postgres_dataset(server, args.notes, 7)

    def fresh_copy(name: str) -> tuple[str, Path]:
        """A copy of the dataset to load: the database and its search index."""
        if server is None:
            folder = scratch_copy(dataset, name)
            return f"sqlite:///{folder}/bench.sqlite", folder
        server.psql(f"DROP DATABASE IF EXISTS {name}")
        server.psql(f"CREATE DATABASE {name} TEMPLATE {template}")
        folder = OUT / name
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(dataset / "search", folder / "search")
        return server.url(name), folder

    try:
        results = [one_run(name, args, fresh_copy) for name in args.runs.split(",")]
    finally:
        if server is not None:
            server.stop()
    report(results, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
