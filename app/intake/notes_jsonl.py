"""Notes as JSON Lines (DESIGN §6): {"id", "author", "posted_at", "occurred_at"?, "text",
"incident"?, "reply_to"?}.

`id` (and `reply_to`) is the source's own stable id, a string ("chat-8812") or a whole
number (17): imports are idempotent by it. A number is kept as the note's own id (so an
export of one I2I imports into another with the same ids); a string is kept beside the
note's id as its external id. Export writes a note's current text with the id it came
with; retracted notes stay out (importing them would publish what someone took back).
Hashtags, mentions and references are derived from the text on import, as posting does.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import select, text
from sqlalchemy.orm import aliased

from app import accounts
from app.clock import parse_time
from app.database import bulk_write_transaction
from app.errors import Refused
from app.extensions import db
from app.intake import bulk
from app.intake.bulk import NoteDraft
from app.intake.files import TOO_LONG, lines
from app.intake.summary import Progress, Summary, progress_or_none
from app.models import MAX_ID, Incident, Note, User
from app.notes import clean_text
from app.text import DEFAULT_INCIDENT_PATTERN, NoteText, read_note

NOTE_BATCH = 10_000
READ_AHEAD_FROM = 20_000  # lines; for fewer, starting a second process costs more
MAX_NUMBER_ID = MAX_ID  # a number id becomes the note's own id
MAX_TEXT_ID = 200  # characters of a string id (the external_id column)

SourceId = int | str


def note_records(batch: int = NOTE_BATCH) -> Iterator[dict]:
    """Every note not retracted, by id, read a batch at a time (no whole-table load); a
    reply whose parent has a higher id (a numbered note answering one imported with a
    string id) waits for its parent, so an import of the file finds every parent first."""
    waiting: dict[int, list[tuple[int, dict]]] = {}  # parent id → replies held back

    def released(note_id: int, record: dict) -> Iterator[dict]:
        yield record
        for child_id, child in waiting.pop(note_id, ()):
            yield from released(child_id, child)

    for note_id, parent_id, record in _note_rows(batch):
        if parent_id is not None and parent_id > note_id:
            waiting.setdefault(parent_id, []).append((note_id, record))
            continue
        yield from released(note_id, record)
    for held in waiting.values():  # parents that were not exported (retracted)
        for child_id, child in held:
            yield from released(child_id, child)


def _note_rows(batch: int) -> Iterator[tuple[int, int | None, dict]]:
    parent = aliased(Note)
    last = 0
    while True:
        query = (
            select(
                Note.id,
                Note.external_id,
                User.username,
                Note.posted_at,
                Note.occurred_at,
                Note.text,
                Incident.number,
                parent.id,
                parent.external_id,
            )
            .join(User, User.id == Note.author_id)
            .outerjoin(Incident, Incident.id == Note.incident_id)
            .outerjoin(parent, parent.id == Note.reply_to_id)
            .where(Note.id > last, Note.retracted_at.is_(None))
            .order_by(Note.id)
            .limit(batch)
        )
        rows = db.session.execute(query).all()
        if not rows:
            return
        for row in rows:
            record = {
                "id": row[1] if row[1] is not None else row[0],
                "author": row.username,
                "posted_at": row.posted_at.isoformat(),
                "occurred_at": row.occurred_at.isoformat() if row.occurred_at else None,
                "text": row.text,
                "incident": row.number,
                "reply_to": row[8] if row[8] is not None else row[7],
            }
            yield row[0], row[7], {key: value for key, value in record.items() if value is not None}
        last = rows[-1][0]


def export_notes(path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in note_records():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


class _NoteLine(NamedTuple):  # a tuple: cheap to send from the reading process
    line: int
    source_id: SourceId
    author: str
    posted_at: datetime
    occurred_at: datetime | None
    text: str
    incident: str | None
    reply_to: SourceId | None
    facts: NoteText


def _source_id(value, key: str) -> SourceId:
    """A source's stable id: a whole number from 1 up, or a string of 1–200 characters."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Refused(f"{key} must be a string or a whole number")
    if isinstance(value, int) and not 1 <= value <= MAX_NUMBER_ID:
        raise Refused(f"{key} as a number must be from 1 to {MAX_NUMBER_ID}")
    if isinstance(value, str) and not 1 <= len(value.strip()) <= MAX_TEXT_ID:
        raise Refused(f"{key} as a string must have 1 to {MAX_TEXT_ID} characters")
    return value


def _note_line(line: int, raw: str | None, pattern: str) -> _NoteLine:
    """One line checked on its own (what the database knows is checked per batch)."""
    if raw is None:
        raise Refused(TOO_LONG)
    record = json.loads(raw)
    if not isinstance(record, dict):
        raise Refused("a line must be a JSON object")
    if "id" not in record:
        raise Refused("id is missing")
    source_id = _source_id(record["id"], "id")
    author = record.get("author")
    if not isinstance(author, str):
        raise Refused("author is missing")
    accounts.validate_username(author)
    if not isinstance(record.get("text"), str):
        raise Refused("text is missing")
    posted_at = parse_time(record.get("posted_at"), "posted_at")
    if posted_at is None:
        raise Refused("posted_at is missing")
    reply_to = record.get("reply_to")
    if reply_to is not None:
        reply_to = _source_id(reply_to, "reply_to")
    incident = record.get("incident")
    if incident is not None and (not isinstance(incident, str) or len(incident) > 40):
        raise Refused("incident must be an incident number")
    text_ = clean_text(record["text"])
    return _NoteLine(
        line,
        source_id,
        author,
        posted_at,
        parse_time(record.get("occurred_at"), "occurred_at"),
        text_,
        incident,
        reply_to,
        read_note(text_, pattern),
    )


def _read_note_lines(
    numbered: list[tuple[int, str | None]], pattern: str
) -> list[_NoteLine | tuple]:
    """Each line read and checked, or (line number, why not)."""
    read: list[_NoteLine | tuple] = []
    for number, raw in numbered:
        try:
            read.append(_note_line(number, raw, pattern))
        except (ValueError, Refused) as error:
            read.append((number, _reason(error)))
    return read


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _read_ahead(batches: Iterator[list], read: Callable, *args) -> Iterator[list]:
    """`read(batch, *args)` for each batch, in order, done by a second process ahead of
    the caller: reading JSON and note text then overlaps with writing the batches before
    (both cores busy). The pipe between them holds about one batch, so memory stays
    bounded. No thread is started here: the caller's thread reads the pipe itself.

    The helper is forked, so it needs no importable `__main__` (spawn would re-run the
    caller's script); the caller checks that no other thread could hold a lock across the
    fork. The child only parses: it never touches the connections it inherits."""
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe(duplex=False)
    child = context.Process(target=_read_into, args=(theirs, batches, read, args), daemon=True)
    child.start()
    theirs.close()
    try:
        while (done := ours.recv()) is not None:
            yield done
    except EOFError:
        raise RuntimeError("the process reading the file stopped unexpectedly") from None
    finally:
        ours.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()


def _read_into(pipe, batches: Iterator[list], read: Callable, args: tuple) -> None:
    try:
        for batch in batches:
            pipe.send(read(batch, *args))
            gc.collect(1)  # paused here as in the parent (collected_between_batches)
        pipe.send(None)
    except Refused as refused:  # the file itself is unreadable (too large unpacked)
        pipe.send(refused)


def import_notes(
    path: Path,
    progress: Progress | None = None,
    *,
    pattern: str = DEFAULT_INCIDENT_PATTERN,
    read_ahead_from: int = READ_AHEAD_FROM,
) -> Summary:
    """Import notes from JSON Lines, a batch a transaction. A bad line is reported with its
    number and skipped whole; lines already imported (same id) are left alone. Files of
    `read_ahead_from` lines or more are read by a second process (`_read_ahead`)."""
    summary = Summary()
    total = sum(1 for _ in lines(path))
    wrap = progress_or_none(progress)
    batches = _batches(lines(path), NOTE_BATCH)
    alone = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    if total >= read_ahead_from and alone:
        read = _read_ahead(batches, _read_note_lines, pattern)  # forks on first use
    else:
        read = (_read_note_lines(batch, pattern) for batch in batches)
    with (
        wrap(range(total), total, "Importing notes") as bar,
        bulk.collected_between_batches() as collect,
    ):
        for checked in read:
            if isinstance(checked, Refused):
                raise checked
            good = []
            for item in checked:
                if isinstance(item, _NoteLine):
                    good.append(item)
                else:
                    summary.skip("bad lines", f"line {item[0]}", item[1])
            _store_notes(good, summary)
            bar.update(len(checked))
            collect()
    bulk.move_note_sequence()
    summary.problems.sort(key=lambda problem: int(problem.split(":")[0].removeprefix("line ")))
    return summary


def _reason(error: Exception) -> str:
    return getattr(error, "message", None) or str(error)


def _store_notes(batch: list[_NoteLine], summary: Summary) -> None:
    if not batch:
        return
    with bulk_write_transaction():
        wanted = [n.source_id for n in batch] + [n.reply_to for n in batch if n.reply_to]
        stored, retracted, taken = _stored(wanted)  # source id → id of a note here already
        existing = [n for n in batch if n.source_id in stored]
        fresh = [n for n in batch if n.source_id not in stored]
        for note in [n for n in fresh if n.source_id in taken]:
            summary.skip("bad lines", f"line {note.line}", f"id {note.source_id} is taken")
        fresh = [n for n in fresh if n.source_id not in taken]
        numbers = {n.incident for n in fresh if n.incident}
        incidents = dict(
            db.session.execute(
                select(Incident.number, Incident.id).where(Incident.number.in_(numbers))
            ).all()
        )
        people = accounts.ensure_accounts({n.author for n in fresh})
        ids = stored | _new_ids([n.source_id for n in fresh])
        known = {_key(i) for i in stored if i not in retracted}  # who may be replied to
        drafts, seen = [], set()
        for note in fresh:
            problem = _note_problem(note, seen, known, incidents)
            if problem:
                summary.skip("bad lines", f"line {note.line}", problem)
                continue
            seen.add(_key(note.source_id))
            known.add(_key(note.source_id))
            drafts.append(
                NoteDraft(
                    people[note.author],
                    note.text,
                    note.posted_at,
                    note.occurred_at,
                    incidents.get(note.incident),
                    note_id=ids[note.source_id],
                    external_id=note.source_id if isinstance(note.source_id, str) else None,
                    reply_to_id=ids[note.reply_to] if note.reply_to is not None else None,
                    facts=note.facts,
                )
            )
        for _ in existing:
            summary.skip("already imported (unchanged)")
        bulk.post_notes(drafts)
        summary.created += len(drafts)


def _key(source_id: SourceId) -> tuple[str, SourceId]:
    """Ids compare with their kind: the string "17" is not the number 17."""
    return (type(source_id).__name__, source_id)


def _stored(wanted: list[SourceId]) -> tuple[dict[SourceId, int], set[SourceId], set[int]]:
    """Which of these source ids are notes here already (number ids as note ids, string
    ids as external ids), which of those are retracted, and which number ids are taken
    by notes that came with a string id. Files list number ids in runs,
    so a range is read instead of binding ten thousand values, unless they are sparse."""
    numbers = [i for i in wanted if isinstance(i, int)]
    strings = list({i for i in wanted if isinstance(i, str)})
    found: dict[SourceId, int] = {}
    retracted: set[SourceId] = set()
    taken: set[int] = set()
    columns = (Note.id, Note.external_id, Note.retracted_at)
    queries = []
    if numbers:
        low, high = min(numbers), max(numbers)
        in_range = (
            Note.id.between(low, high) if high - low < 2 * len(numbers) else Note.id.in_(numbers)
        )
        queries.append(select(*columns).where(in_range))
    for start in range(0, len(strings), 5_000):
        queries.append(select(*columns).where(Note.external_id.in_(strings[start : start + 5_000])))
    wanted_numbers, wanted_strings = set(numbers), set(strings)
    for query in queries:
        for note_id, external_id, retracted_at in db.session.execute(query):
            if external_id is not None and note_id in wanted_numbers:
                taken.add(note_id)  # the id of a note that came with a string id
            source_id = external_id if external_id is not None else note_id
            if source_id not in wanted_numbers | wanted_strings or source_id in taken:
                continue
            found[source_id] = note_id
            if retracted_at is not None:
                retracted.add(source_id)
    return found, retracted, taken


def _new_ids(source_ids: list[SourceId]) -> dict[SourceId, int]:
    """Note ids for new notes: a number id is the note's id; string ids get ids drawn
    inside the batch's write transaction (PostgreSQL from the notes' sequence; SQLite has
    the writer's lock and numbers after the largest id)."""
    ids: dict[SourceId, int] = {i: i for i in source_ids if isinstance(i, int)}
    strings = list(dict.fromkeys(i for i in source_ids if isinstance(i, str)))
    if not strings:
        return ids
    if db.session.get_bind().dialect.name == "postgresql":
        drawn = db.session.scalars(
            text(
                "SELECT nextval(pg_get_serial_sequence('notes', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": len(strings)},
        ).all()
    else:
        top = db.session.scalar(select(Note.id).order_by(Note.id.desc()).limit(1)) or 0
        top = max(top, *ids.values()) if ids else top
        drawn = range(top + 1, top + 1 + len(strings))
    return ids | dict(zip(strings, drawn, strict=True))


def _note_problem(note: _NoteLine, seen: set, known: set, incidents: dict) -> str:
    if _key(note.source_id) in seen:
        return f"id {note.source_id!r} appears twice"
    if note.incident and note.incident not in incidents:
        return f"no incident {note.incident}"
    if note.reply_to is not None and _key(note.reply_to) == _key(note.source_id):
        return "a note cannot reply to itself"
    if note.reply_to is not None and _key(note.reply_to) not in known:
        return f"reply_to {note.reply_to!r} is not a note here or earlier in the file"
    return ""
