"""Incidents as JSON Lines (DESIGN section 6): export, and import that gives the same export.

One object a line with the fields of DESIGN section 4; people by username, times ISO 8601
with offset, absent or null when unknown. On import `priority` is recomputed from impact
and urgency, never trusted; unknown people become accounts that cannot sign in; each line
is written whole or not at all, and a bad line is reported with its number.
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

from sqlalchemy import select

from app import accounts, bulk
from app.bulk import NoteDraft
from app.database import bulk_write_transaction, write_transaction
from app.errors import Refused
from app.extensions import db
from app.importers import NoProgress, Progress, Summary, parse_time
from app.incidents import check_scale, priority_for, update_fields
from app.models import (
    INCIDENT_SOURCES,
    INCIDENT_STATUSES,
    Incident,
    IncidentEvent,
    IncidentModel,
    Note,
    User,
)
from app.notes import clean_text, current_pattern
from app.text import NoteText, read_note

TEXT = (
    "number",
    "title",
    "description",
    "service",
    "category",
    "subcategory",
    "status",
    "assignment_group",
    "source",
    "workaround",
    "resolution_code",
    "resolution_notes",
)
TIMES = (
    "detected_at",
    "registered_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "reviewed_at",
)
PEOPLE = ("owner", "reporter")
IMPORTER = "importer"  # the account that imported changes are by; cannot sign in
KEYS = (
    "number",
    "title",
    "description",
    "service",
    "category",
    "subcategory",
    "impact",
    "urgency",
    "priority",
    "status",
    "assignment_group",
    "owner",
    "reporter",
    "source",
    "major",
    "restricted",
    "workaround",
    "resolution_code",
    "resolution_notes",
    "parent",
    "model",
    *TIMES,
)


def incident_record(incident: Incident) -> dict:
    """One incident in the JSONL form, keys in DESIGN's order."""
    names = {
        "owner": incident.owner.username if incident.owner else None,
        "reporter": incident.reporter.username if incident.reporter else None,
        "parent": incident.parent.number if incident.parent else None,
        "model": incident.model.name if incident.model else None,
    }
    record = {}
    for key in KEYS:
        if key in names:
            record[key] = names[key]
        elif key in TIMES:
            value = getattr(incident, key)
            record[key] = value.isoformat() if value else None
        else:
            record[key] = getattr(incident, key)
    return record


def export_incidents(path: Path, viewer: User | None = None) -> int:
    """Write every incident (or those `viewer` may see) to `path`; returns the count."""
    query = select(Incident).order_by(Incident.number)
    if viewer is not None:
        from app.incidents import visible_incidents_clause

        query = query.where(visible_incidents_clause(viewer))
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for incident in db.session.scalars(query):
            out.write(json.dumps(incident_record(incident), ensure_ascii=False) + "\n")
            count += 1
    return count


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            if line.strip():
                yield number, line


def _checked(record) -> dict:
    if not isinstance(record, dict):
        raise Refused("a line must be a JSON object")
    for key in ("number", "title"):
        if not isinstance(record.get(key), str) or not record[key].strip():
            raise Refused(f"{key} is missing")
    for key in ("impact", "urgency"):
        if not isinstance(record.get(key), int):
            raise Refused(f"{key} must be 1, 2 or 3")
        check_scale(key.title(), record[key])
    if record.get("status", "new") not in INCIDENT_STATUSES:
        raise Refused(f"unknown status {record.get('status')!r}")
    if record.get("source", "import") not in INCIDENT_SOURCES:
        raise Refused(f"unknown source {record.get('source')!r}")
    for key in TEXT:
        if record.get(key) is not None and not isinstance(record[key], str):
            raise Refused(f"{key} must be text")
    return record


def import_incidents(path: Path, progress: Progress | None = None) -> Summary:
    """Import incidents from JSON Lines; running it twice changes nothing."""
    summary = Summary()
    parents: list[tuple[str, str]] = []
    total = sum(1 for _ in _lines(path))
    wrap = progress or (lambda items, length, label: NoProgress(items))
    with write_transaction(), wrap(_lines(path), total, "Importing incidents") as lines:
        for line_number, line in lines:
            try:
                record = _checked(json.loads(line))
                with db.session.begin_nested():
                    outcome = _upsert(record)
            except (ValueError, Refused) as error:
                summary.skip(
                    "bad lines",
                    f"line {line_number}",
                    getattr(error, "message", None) or str(error),
                )
                continue
            if outcome == "created":
                summary.created += 1
            elif outcome == "updated":
                summary.updated += 1
            else:
                summary.skip("already present (unchanged)")
            if record.get("parent"):
                parents.append((record["number"], record["parent"]))
        _link_parents(parents, summary)
    return summary


def _upsert(record: dict) -> str:
    """Create or update one incident; an update logs an event a changed field, by the
    importer account. A record without an owner is owned by that account (someone is
    responsible at every moment, DESIGN section 4)."""
    record = record | {"owner": record.get("owner") or IMPORTER}
    people = accounts.ensure_accounts({record[k] for k in PEOPLE if record.get(k)} | {IMPORTER})
    values = {key: record.get(key) for key in TEXT}
    values |= {key: parse_time(record.get(key), key) for key in TIMES}
    values |= {
        "impact": record["impact"],
        "urgency": record["urgency"],
        "priority": priority_for(record["impact"], record["urgency"]),
        "owner_id": people.get(record.get("owner")),
        "reporter_id": people.get(record.get("reporter")),
        "major": bool(record.get("major")),
        "restricted": bool(record.get("restricted")),
        "model_id": _model_id(record.get("model")),
    }
    values["status"] = values["status"] or "new"
    values["source"] = values["source"] or "import"
    values["registered_at"] = values["registered_at"] or parse_time(
        record.get("detected_at"), "detected_at"
    )
    if values["registered_at"] is None:
        raise Refused("registered_at is missing")
    incident = db.session.scalar(select(Incident).where(Incident.number == record["number"]))
    if incident is None:
        incident = Incident(**values)
        db.session.add(incident)
        db.session.flush()
        db.session.add(
            IncidentEvent(
                incident_id=incident.id,
                actor_id=values["reporter_id"],
                at=values["registered_at"],
                field="registered",
                new=incident.number,
            )
        )
        return "created"
    importer = db.session.get(User, people[IMPORTER])
    return "updated" if update_fields(importer, incident, values) else "unchanged"


def _model_id(name: str | None) -> int | None:
    if not name:
        return None
    model = db.session.scalar(select(IncidentModel).where(IncidentModel.name == name))
    if model is None:
        model = IncidentModel(name=name)
        db.session.add(model)
        db.session.flush()
    return model.id


def _link_parents(parents: list[tuple[str, str]], summary: Summary) -> None:
    numbers = {n for pair in parents for n in pair}
    ids = dict(
        db.session.execute(
            select(Incident.number, Incident.id).where(Incident.number.in_(numbers))
        ).all()
    )
    for child, parent in parents:
        if parent not in ids:
            summary.skip("parents not found", f"incident {child}", parent)
            continue
        db.session.get(Incident, ids[child]).parent_id = ids[parent]


# Notes (DESIGN §6): {"id", "author", "posted_at", "occurred_at"?, "text", "incident"?,
# "reply_to"?}. Export writes a note's current text; retracted notes stay out (importing
# them would publish what someone took back). Import keeps the ids, so it is idempotent
# by id, and derives tags, mentions and references from the text, as posting does.
NOTE_BATCH = 10_000
READ_AHEAD_FROM = 20_000  # lines; for fewer, starting a second process costs more


def note_records(batch: int = NOTE_BATCH) -> Iterator[dict]:
    """Every note not retracted, by id, read a batch at a time (no whole-table load)."""
    last = 0
    while True:
        query = (
            select(
                Note.id,
                User.username,
                Note.posted_at,
                Note.occurred_at,
                Note.text,
                Incident.number,
                Note.reply_to_id,
            )
            .join(User, User.id == Note.author_id)
            .outerjoin(Incident, Incident.id == Note.incident_id)
            .where(Note.id > last, Note.retracted_at.is_(None))
            .order_by(Note.id)
            .limit(batch)
        )
        rows = db.session.execute(query).all()
        if not rows:
            return
        for note_id, author, posted_at, occurred_at, text_, number, reply_to in rows:
            record = {
                "id": note_id,
                "author": author,
                "posted_at": posted_at.isoformat(),
                "occurred_at": occurred_at.isoformat() if occurred_at else None,
                "text": text_,
                "incident": number,
                "reply_to": reply_to,
            }
            yield {key: value for key, value in record.items() if value is not None}
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
    note_id: int
    author: str
    posted_at: datetime
    occurred_at: datetime | None
    text: str
    incident: str | None
    reply_to: int | None
    facts: NoteText


def _note_line(line: int, raw: str, pattern: str) -> _NoteLine:
    """One line checked on its own (what the database knows is checked per batch)."""
    record = json.loads(raw)
    if not isinstance(record, dict):
        raise Refused("a line must be a JSON object")
    note_id = record.get("id")
    if not isinstance(note_id, int) or isinstance(note_id, bool) or note_id < 1:
        raise Refused("id must be a positive whole number")
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
    if reply_to is not None and (not isinstance(reply_to, int) or isinstance(reply_to, bool)):
        raise Refused("reply_to must be a note id")
    incident = record.get("incident")
    if incident is not None and not isinstance(incident, str):
        raise Refused("incident must be an incident number")
    text_ = clean_text(record["text"])
    return _NoteLine(
        line,
        note_id,
        author,
        posted_at,
        parse_time(record.get("occurred_at"), "occurred_at"),
        text_,
        incident,
        reply_to,
        read_note(text_, pattern),
    )


def _read_note_lines(lines: list[tuple[int, str]], pattern: str) -> list[_NoteLine | tuple]:
    """Each line read and checked, or (line number, why not)."""
    read: list[_NoteLine | tuple] = []
    for number, raw in lines:
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
    for batch in batches:
        pipe.send(read(batch, *args))
        gc.collect(1)  # the collector is paused here as in the parent (collected_between_batches)
    pipe.send(None)


def import_notes(
    path: Path, progress: Progress | None = None, *, read_ahead_from: int = READ_AHEAD_FROM
) -> Summary:
    """Import notes from JSON Lines, a batch a transaction. A bad line is reported with its
    number and skipped whole; lines already imported (same id) are left alone. Files of
    `read_ahead_from` lines or more are read by a second process (`_read_ahead`)."""
    summary = Summary()
    total = sum(1 for _ in _lines(path))
    wrap = progress or (lambda items, length, label: NoProgress(items))
    pattern = current_pattern()
    batches = _batches(_lines(path), NOTE_BATCH)
    alone = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    if total >= read_ahead_from and alone:
        read = _read_ahead(batches, _read_note_lines, pattern)  # forks on first use
    else:
        read = (_read_note_lines(batch, pattern) for batch in batches)
    with (
        wrap(range(total), total, "Importing notes") as bar,
        bulk.collected_between_batches() as collect,
    ):
        for lines in read:
            good = []
            for item in lines:
                if isinstance(item, _NoteLine):
                    good.append(item)
                else:
                    summary.skip("bad lines", f"line {item[0]}", item[1])
            _store_notes(good, summary)
            bar.update(len(lines))
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
        existing = _stored_ids([n.note_id for n in batch])
        numbers = {n.incident for n in batch if n.incident}
        incidents = dict(
            db.session.execute(
                select(Incident.number, Incident.id).where(Incident.number.in_(numbers))
            ).all()
        )
        parents = {n.reply_to for n in batch if n.reply_to}
        known = existing | set(
            db.session.scalars(
                select(Note.id).where(Note.id.in_(parents), Note.retracted_at.is_(None))
            )
        )
        people = accounts.ensure_accounts({n.author for n in batch})
        drafts, seen = [], set()
        for note in batch:
            if note.note_id in existing:
                summary.skip("already imported (unchanged)")
                continue
            problem = _note_problem(note, seen, known, incidents)
            if problem:
                summary.skip("bad lines", f"line {note.line}", problem)
                continue
            seen.add(note.note_id)
            known.add(note.note_id)
            drafts.append(
                NoteDraft(
                    people[note.author],
                    note.text,
                    note.posted_at,
                    note.occurred_at,
                    incidents.get(note.incident),
                    note_id=note.note_id,
                    reply_to_id=note.reply_to,
                    facts=note.facts,
                )
            )
        bulk.post_notes(drafts)
        summary.created += len(drafts)


def _stored_ids(wanted: list[int]) -> set[int]:
    """Which of these note ids are in the database already. Files list ids in runs, so a
    range query is read instead of binding ten thousand values, unless the ids are sparse."""
    low, high = min(wanted), max(wanted)
    if high - low < 2 * len(wanted):
        stored = db.session.scalars(select(Note.id).where(Note.id.between(low, high)))
        return set(stored).intersection(wanted)
    return set(db.session.scalars(select(Note.id).where(Note.id.in_(wanted))))


def _note_problem(note: _NoteLine, seen: set[int], known: set[int], incidents: dict) -> str:
    if note.note_id in seen:
        return f"id {note.note_id} appears twice"
    if note.incident and note.incident not in incidents:
        return f"no incident {note.incident}"
    if note.reply_to is not None and note.reply_to not in known:
        return f"reply_to {note.reply_to} is not a note here or earlier in the file"
    if note.reply_to == note.note_id:
        return "a note cannot reply to itself"
    return ""
