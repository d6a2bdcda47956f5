"""Search speed: the product's search (Whoosh) against SQLite FTS5 over the same notes.

One command: `.venv/bin/python bench/search.py [--notes 1000000] [--queries 40]`.
The simulator's notes are imported once into SQLite and indexed once with `i2i search
rebuild`'s function (bench/dataset.py, cached under bench/out/), and once into an FTS5
table in the same database. Then the same query mix runs on both:
one word, two words, a phrase, a tag, a tag within a week, newest first. Whoosh is timed
through `finder.search` as a signed-in responder (visibility filter, reading the hits'
notes, highlighting); FTS5 by the two statements a page needs (the top 20 and the count).
Prints p50/p95 per kind and the ratio; goal: Whoosh p95 ≤ 30 ms, ≤ 3× FTS5.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
OUT = ROOT / "bench" / "out"
GOAL_MS, GOAL_RATIO = 30.0, 3.0
FTS = """CREATE VIRTUAL TABLE note_fts USING fts5(
    text, tags, tokenize = 'porter unicode61 remove_diacritics 2')"""


def build_fts(app) -> None:
    """The same notes in an FTS5 table beside them (built once, kept in the dataset)."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        tables = db.session.execute(text("SELECT name FROM sqlite_master")).scalars().all()
        if "note_fts" in tables:
            return
        started = time.perf_counter()
        db.session.execute(text(FTS))
        db.session.execute(
            text(
                "INSERT INTO note_fts (rowid, text, tags) SELECT n.id, n.text, "
                "(SELECT group_concat(h.key, ' ') FROM note_tags t "
                " JOIN hashtags h ON h.id = t.hashtag_id WHERE t.note_id = n.id) "
                "FROM notes n WHERE n.retracted_at IS NULL"
            )
        )
        db.session.commit()
        print(f"FTS5 index built in {time.perf_counter() - started:.0f} s")


def query_mix(app, per_kind: int, seed: int) -> list[tuple[str, str, str]]:
    """(kind, query for I2I, FTS5 MATCH expression) drawn from the notes themselves."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Hashtag, Note
    from app.search.schema import ANALYZER

    rng = random.Random(seed)
    with app.app_context():
        top = db.session.scalar(select(func.max(Note.id)))
        sample = db.session.scalars(
            select(Note.text).where(Note.id.in_([rng.randint(1, top) for _ in range(3000)]))
        ).all()
        tags = db.session.scalars(
            select(Hashtag.key).where(Hashtag.note_count > 50).order_by(Hashtag.key)
        ).all()
        first, last = db.session.execute(
            select(func.min(Note.sort_at), func.max(Note.sort_at))
        ).one()
    words = Counter(
        t.text for line in sample for t in ANALYZER(line.split("#")[0]) if t.text.isalpha()
    )
    plain = [w for w in words if len(w) > 3]
    mix = []
    for _ in range(per_kind):
        one, two = rng.sample(plain, 2)
        phrase = _phrase(rng, sample)
        tag = rng.choice(tags)
        week = first + (last - first) * rng.random()
        since, until = week.date(), (week + timedelta(days=7)).date()
        mix += [
            ("one word", one, one),
            ("two words", f"{one} {two}", f"{one} {two}"),
            ("phrase", f'"{phrase}"', f'"{phrase}"'),
            ("tag", f"#{tag}", f'tags:"{tag}"'),
            ("tag + week", f"#{tag} since:{since} until:{until}", (tag, since, until)),
            ("newest first", one, one),
        ]
    return mix


def _phrase(rng: random.Random, sample: list[str]) -> str:
    """Two neighbouring words of a note that the search accepts (not only stop words)."""
    from app.errors import Refused
    from app.search.query import parse

    while True:
        line = rng.choice(sample).split("#")[0].split()
        at = rng.randrange(max(len(line) - 1, 1))
        phrase = " ".join(line[at : at + 2]).strip(",.:;!?'\"/")
        try:
            parse(f'"{phrase}"')
            return phrase
        except Refused:
            continue


SLOWEST: list[tuple[float, str, str]] = []  # (ms, kind, query) of the Whoosh runs


def run_whoosh(app, mix) -> dict[str, list[float]]:
    from app import accounts
    from app.search import finder

    times: dict[str, list[float]] = {}
    with app.app_context():
        viewer = accounts.find_user("sam")
        for kind, q, _ in mix:
            started = time.perf_counter()
            finder.search(viewer, q, order="newest" if kind == "newest first" else "")
            elapsed = (time.perf_counter() - started) * 1000
            times.setdefault(kind, []).append(elapsed)
            SLOWEST.append((elapsed, kind, q))
    return times


def run_fts(app, mix) -> dict[str, list[float]]:
    from sqlalchemy import text

    from app.extensions import db

    page = "SELECT rowid FROM note_fts WHERE note_fts MATCH :q ORDER BY rank LIMIT 20"
    newest = "SELECT rowid FROM note_fts WHERE note_fts MATCH :q ORDER BY rowid DESC LIMIT 20"
    count = "SELECT count(*) FROM note_fts WHERE note_fts MATCH :q"
    ranged = (
        "SELECT n.id FROM note_fts f JOIN notes n ON n.id = f.rowid WHERE note_fts MATCH :q "
        "AND n.sort_at >= :since AND n.sort_at < :until ORDER BY n.sort_at DESC LIMIT 20"
    )
    ranged_count = ranged.replace("SELECT n.id", "SELECT count(*)").split(" ORDER BY")[0]
    times: dict[str, list[float]] = {}
    with app.app_context():
        for kind, _, match in mix:
            started = time.perf_counter()
            if kind == "tag + week":
                tag, since, until = match
                values = {"q": f'tags:"{tag}"', "since": str(since), "until": str(until)}
                db.session.execute(text(ranged), values).all()
                db.session.execute(text(ranged_count), values).scalar()
            else:
                statement = newest if kind == "newest first" else page
                db.session.execute(text(statement), {"q": match}).all()
                db.session.execute(text(count), {"q": match}).scalar()
            times.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=40, help="queries of each kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--slowest", type=int, default=8, help="slowest queries to list")
    args = parser.parse_args()

    from dataset import bench_app, sqlite_dataset

    folder = sqlite_dataset(args.notes, args.seed)
    app = bench_app(f"sqlite:///{folder}/bench.sqlite", folder)
    build_fts(app)
    mix = query_mix(app, args.queries, args.seed)
    run_whoosh(app, mix[:12])  # warm both: open the index, fill caches
    run_fts(app, mix[:12])
    SLOWEST.clear()
    whoosh, fts = run_whoosh(app, mix), run_fts(app, mix)
    print(f"\nI2I search benchmark: {args.notes:,} notes, {args.queries} queries of each kind")
    print(f"{'query':<14} {'whoosh p50':>11} {'p95':>8} {'fts5 p50':>9} {'p95':>8} {'ratio':>6}")
    everything_w = [t for values in whoosh.values() for t in values]
    everything_f = [t for values in fts.values() for t in values]
    for kind in whoosh:
        w, f = whoosh[kind], fts[kind]
        print(
            f"{kind:<14} {statistics.median(w):>9.1f}ms {p95(w):>6.1f}ms "
            f"{statistics.median(f):>7.1f}ms {p95(f):>6.1f}ms {p95(w) / p95(f):>5.1f}×"
        )
    ratio = p95(everything_w) / p95(everything_f)
    print(
        f"{'whole mix':<14} {statistics.median(everything_w):>9.1f}ms {p95(everything_w):>6.1f}ms "
        f"{statistics.median(everything_f):>7.1f}ms {p95(everything_f):>6.1f}ms {ratio:>5.1f}×"
    )
    print(f"goal: whole-mix p95 ≤ {GOAL_MS:.0f} ms and ≤ {GOAL_RATIO:.0f}× FTS5")
    print("slowest Whoosh queries:")
    for elapsed, kind, q in sorted(SLOWEST, reverse=True)[: args.slowest]:
        print(f"  {elapsed:8.1f} ms  {kind:<13} {q}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
