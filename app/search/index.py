"""The search index on disk: one writer, fed from the outbox; rebuild and verify.

Layout under `<I2I_INSTANCE_DIR>/search/`: one directory per generation of the index
(`g<time>/`, a Whoosh index) and `CURRENT`, naming the generation in use. A generation
that was created empty while the database held notes the outbox no longer lists (its
directory was deleted or unreadable) carries an `INCOMPLETE` file until a rebuild; a generation
made by a rebuild carries `REPLAY`, the time the rebuild started.

Writing: only the leader of the background runners (`app.jobs`) writes, so Whoosh's
writer lock is never contended and no worker ever sees a lock error. Each tick it takes
the outbox rows not yet applied, rewrites those notes' documents from the database
(retracted or missing notes are removed), commits, then marks the rows applied. A crash
in between applies them again, which is harmless: applying is idempotent. Rows are
marked applied rather than deleted so a rebuild can replay what was applied while it
was reading (`REPLAY`); they are pruned a while later.

Rebuilding (`i2i search rebuild`) writes a new generation from the database beside the
one in use, switches `CURRENT` atomically and removes the old one; searching and writing
go on meanwhile.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from whoosh import index as whoosh_index
from whoosh.index import Index

from app.database import write_transaction
from app.extensions import db
from app.models import Hashtag, Incident, Note, NoteTag, SearchOutbox, User, utcnow
from app.search.schema import SCHEMA, document

BATCH = 2_000
LIVE = 200  # of a batch, the newest changes also taken when the queue holds a backlog
KEEP_APPLIED = timedelta(minutes=30)  # how long applied outbox rows stay for a rebuild
NO_SYNC = {"synchronize_session": False}
# Segments stay as separate files. Whoosh reads a "compound" segment (all its files in one)
# by copying each part into memory when a reader opens it: for a million notes that is
# hundreds of megabytes per worker, copied again by every writer commit.
COMPOUND = False


class Unavailable(Exception):
    """The index cannot be read (missing, corrupt): search is degraded, the site is not."""


def search_dir() -> Path:
    return Path(current_app.config["I2I_INSTANCE_DIR"]) / "search"


@dataclass
class Generation:
    path: Path

    @property
    def incomplete(self) -> bool:
        return (self.path / "INCOMPLETE").exists()

    def replay(self) -> tuple[datetime, int] | None:
        """Since when, and after which outbox row, changes must be applied again."""
        try:
            since, _, after = (self.path / "REPLAY").read_text().strip().partition(" ")
        except FileNotFoundError:
            return None
        return datetime.fromisoformat(since), int(after or 0)

    def set_replay(self, since: datetime | None, after: int = 0) -> None:
        if since is None:
            (self.path / "REPLAY").unlink(missing_ok=True)
        else:
            (self.path / "REPLAY").write_text(f"{since.isoformat()} {after}\n")

    def open(self) -> Index:
        try:
            ix = whoosh_index.open_dir(str(self.path))
        except Exception as error:  # whoosh raises many kinds for a broken directory
            raise Unavailable(f"the search index cannot be read ({error})") from error
        if sorted(ix.schema.names()) != sorted(SCHEMA.names()):
            ix.close()
            raise Unavailable("the search index was built by an older version of I2I")
        return ix


def current_generation(root: Path | None = None) -> Generation:
    """The generation in use, or Unavailable if there is none on disk."""
    root = root or search_dir()
    try:
        name = (root / "CURRENT").read_text().strip()
    except OSError:
        raise Unavailable("the search index is missing") from None
    generation = Generation(root / name)
    if not name or not generation.path.is_dir():
        raise Unavailable("the search index is missing")
    return generation


def new_generation(root: Path | None = None, *, incomplete: bool = False) -> Generation:
    root = root or search_dir()
    path = root / f"g{time.time_ns()}"
    path.mkdir(parents=True)
    whoosh_index.create_in(str(path), SCHEMA)
    if incomplete:
        (path / "INCOMPLETE").write_text("created empty while notes existed; rebuild it\n")
    return Generation(path)


def make_current(generation: Generation) -> None:
    """Point CURRENT at `generation` (atomically) and remove the generations before it."""
    root = generation.path.parent
    temporary = root / f"CURRENT.{os.getpid()}"
    temporary.write_text(generation.path.name + "\n")
    os.replace(temporary, root / "CURRENT")
    for other in root.glob("g*"):
        if other.is_dir() and other != generation.path:
            shutil.rmtree(other, ignore_errors=True)


def writable_generation() -> Generation:
    """The generation to write to, recreated (empty, marked incomplete when notes exist)
    if it was deleted or cannot be opened, so writing goes on and search says it is
    degraded until a rebuild."""
    try:
        generation = current_generation()
        generation.open().close()
        return generation
    except Unavailable:
        generation = new_generation(incomplete=_notes_beyond_the_outbox())
        make_current(generation)
        return generation


def _notes_beyond_the_outbox() -> bool:
    """Whether a new, empty index would miss notes: some note has no change still queued
    (on a first start every note is queued, and the queue fills the index)."""
    queued = select(SearchOutbox.note_id).where(SearchOutbox.applied_at.is_(None))
    beyond = select(Note.id).where(Note.id.not_in(queued)).limit(1)
    return db.session.scalar(beyond) is not None


# Documents


def tag_keys_of(note_ids: list[int]) -> dict[int, set[str]]:
    """The keys a note's document lists: each tag as written and its canonical tag."""
    written, canonical = Hashtag.__table__.alias(), Hashtag.__table__.alias()
    query = (
        select(NoteTag.note_id, written.c.key, canonical.c.key)
        .join(written, written.c.id == NoteTag.hashtag_id)
        .join(canonical, canonical.c.id == NoteTag.tag_id)
        .where(NoteTag.note_id.in_(note_ids))
    )
    keys: dict[int, set[str]] = {}
    for note_id, as_written, as_canonical in db.session.execute(query):
        keys.setdefault(note_id, set()).update((as_written, as_canonical))
    return keys


def documents(note_ids: list[int]) -> dict[int, dict]:
    """The index documents of these notes (absent: retracted or gone), with their stamp."""
    query = (
        select(
            Note.id,
            Note.text,
            Note.sort_at,
            User.username,
            Incident.number,
            Incident.service,
            Incident.priority,
        )
        .join(User, User.id == Note.author_id)
        .outerjoin(Incident, Incident.id == Note.incident_id)
        .where(Note.id.in_(note_ids), Note.retracted_at.is_(None))
    )
    keys = tag_keys_of(note_ids)
    found = {}
    for row in db.session.execute(query):
        note_id, text, sort_at, author, number, service, priority = row
        fields = document(
            note_id=note_id,
            text=text,
            tags=sorted(keys.get(note_id, ())),
            author=author,
            incident=number,
            service=service,
            priority=priority,
            at=sort_at,
        )
        fields["stamp"] = stamp(fields)
        found[note_id] = fields
    return found


def stamp(fields: dict) -> str:
    """A short digest of a document's content: `verify` compares it with the database's."""
    content = "\x1f".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "stamp")
    return hashlib.blake2b(content.encode(), digest_size=8).hexdigest()


def write_notes(writer, note_ids: list[int]) -> None:
    """Rewrite (or remove) these notes' documents with an open writer."""
    found = documents(note_ids)
    for note_id in note_ids:
        if note_id in found:
            writer.update_document(**found[note_id])
        else:
            writer.delete_by_term("id", str(note_id))


# The writer's duty


def apply_outbox(limit: int = BATCH, timeout: float = 10.0) -> int:
    """Apply queued changes to the index; returns how many notes were written. Waits up
    to `timeout` seconds for Whoosh's write lock (only ever held by this writer)."""
    generation = writable_generation()
    replay = generation.replay()
    pending = select(SearchOutbox.id, SearchOutbox.note_id)
    if replay is not None:  # a fresh rebuild: also redo what was applied while it read
        since, after = replay
        pending = pending.where(
            SearchOutbox.id > after,
            or_(SearchOutbox.applied_at.is_(None), SearchOutbox.applied_at >= since),
        )
    else:
        pending = pending.where(SearchOutbox.applied_at.is_(None))
    rows = db.session.execute(pending.order_by(SearchOutbox.id).limit(limit)).all()
    if len(rows) == limit and replay is None:  # a backlog (an import): new notes go first too
        newest = pending.order_by(SearchOutbox.id.desc()).limit(LIVE)
        rows = sorted(set(rows) | set(db.session.execute(newest).all()))
    db.session.commit()
    if not rows:
        generation.set_replay(None)
        return 0
    note_ids = sorted({note_id for _, note_id in rows})
    ix = generation.open()
    try:
        writer = ix.writer(timeout=timeout, compound=COMPOUND)
        write_notes(writer, note_ids)
        writer.commit()
    finally:
        ix.close()
    _mark_applied([row_id for row_id, _ in rows])
    if replay is not None:
        generation.set_replay(replay[0], rows[-1][0])
    return len(note_ids)


def catch_up(budget: float = 2.0) -> int:
    """Apply the outbox batch after batch for up to `budget` seconds (the runner's duty)."""
    deadline, written = time.monotonic() + budget, 0
    while True:
        done = apply_outbox()
        written += done
        if done < BATCH or time.monotonic() > deadline:
            return written


def _mark_applied(row_ids: list[int]) -> None:
    now = utcnow()
    with write_transaction():
        for chunk in _chunks(row_ids, 500):
            query = update(SearchOutbox).where(
                SearchOutbox.id.in_(chunk), SearchOutbox.applied_at.is_(None)
            )
            db.session.execute(query.values(applied_at=now), execution_options=NO_SYNC)
        # Keep what a rebuild still in progress (its generation has REPLAY) will replay.
        replays = [Generation(path).replay() for path in search_dir().glob("g*")]
        horizon = min([now - KEEP_APPLIED, *(r[0] for r in replays if r is not None)])
        db.session.execute(
            delete(SearchOutbox).where(SearchOutbox.applied_at < horizon),
            execution_options=NO_SYNC,
        )


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lag() -> tuple[int, datetime | None]:
    """How many queued changes are not in the index yet, and since when the oldest waits."""
    query = select(func.count(), func.min(SearchOutbox.queued_at)).where(
        SearchOutbox.applied_at.is_(None)
    )
    count, oldest = db.session.execute(query).one()
    return count, oldest


def waiting_since() -> datetime | None:
    """When the first change still waiting for the index was queued (None: none waits).
    Read by the queue's index, so it costs the same however long the queue is."""
    query = (
        select(SearchOutbox.queued_at)
        .where(SearchOutbox.applied_at.is_(None))
        .order_by(SearchOutbox.applied_at, SearchOutbox.id)
        .limit(1)
    )
    return db.session.scalar(query)


# Rebuild and verify


Progress = Callable[[Iterable, int, str], object]


def _note_id_batches(size: int = BATCH) -> Iterator[list[int]]:
    last = 0
    db.session.commit()  # start from what is committed now, not an older snapshot
    while True:
        query = select(Note.id).where(Note.id > last).order_by(Note.id).limit(size)
        ids = list(db.session.scalars(query))
        db.session.commit()  # a fresh snapshot for each batch: no long-held transaction
        if not ids:
            return
        yield ids
        last = ids[-1]


@dataclass
class RebuildSummary:
    notes: int
    seconds: float

    def __str__(self) -> str:
        return f"Indexed {self.notes:,} notes in {self.seconds:.1f} s."


def rebuild(progress: Progress | None = None) -> RebuildSummary:
    """Write a new generation from the database and switch to it."""
    started, clock = utcnow(), time.perf_counter()
    root = search_dir()
    root.mkdir(parents=True, exist_ok=True)
    generation = new_generation(root)
    generation.set_replay(started)
    total = db.session.scalar(select(func.count()).select_from(Note)) or 0
    ix = generation.open()
    writer = ix.writer(limitmb=256, compound=COMPOUND)
    indexed = 0
    try:
        batches = _note_id_batches()
        if progress is not None:
            batches = _counted(progress, batches, total, "Indexing notes")
        for ids in batches:
            for fields in documents(ids).values():
                writer.add_document(**fields)
                indexed += 1
        writer.commit()
    except BaseException:
        writer.cancel()
        ix.close()
        shutil.rmtree(generation.path, ignore_errors=True)
        raise
    ix.close()
    make_current(generation)
    return RebuildSummary(indexed, time.perf_counter() - clock)


def _counted(progress: Progress, batches: Iterator[list[int]], total: int, label: str):
    """Advance a progress bar by notes while yielding batches."""
    with progress(range(total), total, label) as bar:
        for ids in batches:
            yield ids
            bar.update(len(ids))


@dataclass
class Report:
    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    stale: list[int] = field(default_factory=list)  # in both, but the index is out of date
    extra: list[int] = field(default_factory=list)  # in the index, retracted or gone
    checked: int = 0

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)

    def __str__(self) -> str:
        if self.clean:
            return f"The search index is complete and current ({self.checked:,} notes)."
        parts = [
            f"{len(ids):,} {what} (e.g. notes {', '.join(map(str, ids[:5]))})"
            for what, ids in (
                ("missing", self.missing),
                ("stale", self.stale),
                ("retracted or deleted", self.extra),
            )
            if ids
        ]
        return f"Checked {self.checked:,} notes: " + "; ".join(parts) + "."


def verify(progress: Progress | None = None) -> Report:
    """Compare every note's document with the index's copy."""
    ix = current_generation().open()
    try:
        with ix.searcher() as searcher:
            indexed = {int(f["id"]): f.get("stamp") for f in searcher.all_stored_fields()}
    finally:
        ix.close()
    report = Report()
    total = db.session.scalar(select(func.count()).select_from(Note)) or 0
    batches = _note_id_batches()
    if progress is not None:
        batches = _counted(progress, batches, total, "Checking notes")
    for ids in batches:
        found = documents(ids)
        report.checked += len(ids)
        for note_id in ids:
            if note_id in found and note_id not in indexed:
                report.missing.append(note_id)
            elif note_id in found and indexed.pop(note_id) != found[note_id]["stamp"]:
                report.stale.append(note_id)
            elif note_id not in found and indexed.pop(note_id, None) is not None:
                report.extra.append(note_id)
    report.extra += sorted(indexed)  # documents of notes no longer in the database
    return report
