"""The benchmarks' data: the simulated organisation's notes, stored once and reused.

Built on first use under bench/out/ and kept (delete the folder to start over):
  * notes-N-S.jsonl: N notes of a year of the simulated organisation (seed S), DESIGN §6;
  * sqlite-N/: those notes imported into SQLite by `i2i import notes`'s function, with
    the search index built by `i2i search rebuild`'s function;
  * notes-sqlite-N/: the same without the index (analyses and reports read none);
  * postgres/: the same notes in a PostgreSQL cluster of its own (started on demand by
    the script that needs it), database notes_N.
A run that changes data works on a copy (`scratch_copy`), never on these.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
END = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)  # a fixed end: the same file every time


def notes_file(count: int, seed: int) -> Path:
    """The simulator's notes as JSON Lines (written on first use)."""
    from app.intake.demo import PEOPLE
    from app.intake.simulate import simulate

    path = OUT / f"notes-{count}-{seed}.jsonl"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    world = simulate(notes=count, seed=seed, days=365, end=END, named=PEOPLE)
    ordered = sorted(world.notes, key=lambda n: (n.posted_at, n.key))
    ids = {note.key: rank + 1 for rank, note in enumerate(ordered)}
    temporary = path.with_suffix(".part")
    with temporary.open("w", encoding="utf-8") as out:
        for note in ordered:
            record = {
                "id": ids[note.key],
                "author": note.author,
                "posted_at": note.posted_at.isoformat(),
                "text": note.text,
            }
            if note.reply_to is not None:
                record["reply_to"] = ids[note.reply_to]
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    temporary.rename(path)
    print(f"wrote {len(ordered):,} notes to {path} in {time.perf_counter() - started:.0f} s")
    return path


def bench_app(url: str, instance: Path, **config):
    from app import create_app

    instance.mkdir(parents=True, exist_ok=True)
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "I2I_INSTANCE_DIR": str(instance), **config})


def sqlite_dataset(count: int, seed: int = 7) -> Path:
    """A folder holding bench.sqlite (the notes) and search/ (their index)."""
    folder = OUT / f"sqlite-{count}"
    if (folder / "READY").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    app = bench_app(f"sqlite:///{folder}/bench.sqlite", folder)
    _fill(app, count, seed, "SQLite")
    _index(app)
    (folder / "READY").write_text(f"{count} notes, seed {seed}\n")
    return folder


def notes_dataset(count: int, seed: int = 7) -> Path:
    """A folder holding bench.sqlite (the notes) without a search index: for the
    analyses and reports, which read none (built on first use, in about a minute)."""
    folder = OUT / f"notes-sqlite-{count}"
    if (folder / "READY").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    _fill(bench_app(f"sqlite:///{folder}/bench.sqlite", folder), count, seed, "SQLite")
    (folder / "READY").write_text(f"{count} notes, seed {seed}\n")
    return folder


def _fill(app, count: int, seed: int, backend: str) -> None:
    from flask_migrate import upgrade

    from app.extensions import db
    from app.intake import notes_jsonl

    source = notes_file(count, seed)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        summary = notes_jsonl.import_notes(source)
        print(
            f"imported into {backend}: {summary.created:,} notes in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        db.engine.dispose()


def _index(app) -> None:
    """Index the notes, then count the import's queued changes as applied: nothing else
    wrote meanwhile, so the rebuild covers them (a live site would replay them instead)."""
    from sqlalchemy import update

    from app.extensions import db
    from app.models import SearchOutbox, utcnow
    from app.search import index

    with app.app_context():
        started = time.perf_counter()
        summary = index.rebuild()
        db.session.execute(update(SearchOutbox).values(applied_at=utcnow()))
        db.session.commit()
        index.current_generation().set_replay(None)  # nothing to replay: nothing else wrote
        print(f"{summary} (search index, {time.perf_counter() - started:.0f} s)", flush=True)


def scratch_copy(source: Path, name: str) -> Path:
    """A fresh copy of a dataset folder to change freely (the original stays as built)."""
    target = OUT / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return target


def postgres_dataset(server, count: int, seed: int) -> str:
    """The name of a database in `server` holding the notes (imported on first use)."""
    name = f"notes_{count}"
    marker = OUT / "postgres" / f"{name}.READY"
    if not marker.exists():
        server.psql(f"DROP DATABASE IF EXISTS {name}")
        server.psql(f"CREATE DATABASE {name}")
        _fill(bench_app(server.url(name), OUT / "postgres-instance"), count, seed, "PostgreSQL")
        _applied(server.url(name))
        marker.write_text(f"{count} notes, seed {seed}\n")
    return name


def _applied(url: str) -> None:
    """The import queued every note for the index; the shared index already holds them."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE search_outbox SET applied_at = now()"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
