"""Notes as JSON Lines: export, import into an empty database, export again: the same;
bad lines reported by number and skipped whole; idempotent by id; replies and threads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app import accounts, incidents, notes
from app.extensions import db
from app.intake import incidents_jsonl, notes_jsonl
from app.models import Note, Notification, User
from app.text import DEFAULT_INCIDENT_PATTERN
from tests.conftest import wipe

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def line(note_id: int, text: str, *, author: str = "sam", minutes: int = 0, **extra) -> str:
    record = {
        "id": note_id,
        "author": author,
        "posted_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        "text": text,
    }
    return json.dumps(record | extra)


def write(tmp_path, *lines: str):
    path = tmp_path / "notes.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_export_import_export_round_trips(ctx, make_user, post, tmp_path):
    sam, lee = make_user("sam"), make_user("lee")
    incident = incidents.register(sam, title="VPN", service="VPN")
    first = post(sam, "tunnel resets #vpn @lee", occurred_at=T0, incident=incident)
    reply = post(lee, "same here, Ünïcödé and <b>bold</b>", reply_to=first)
    gone = post(lee, "wrong incident, sorry")
    notes.retract_note(lee, gone)
    exported = tmp_path / "first.jsonl"
    assert notes_jsonl.export_notes(exported) == 2  # the retracted note stays out
    records = [json.loads(x) for x in exported.read_text().splitlines()]
    assert records[0]["incident"] == incident.number and records[0]["occurred_at"]
    assert records[1]["reply_to"] == first.id and "incident" in records[1]
    assert set(records[1]) == {"id", "author", "posted_at", "text", "incident", "reply_to"}
    incidents_file = tmp_path / "incidents.jsonl"
    incidents_jsonl.export_incidents(incidents_file)
    db.session.commit()
    wipe(ctx)
    incidents_jsonl.import_incidents(incidents_file)
    summary = notes_jsonl.import_notes(exported)
    assert summary.created == 2 and not summary.problems
    again = tmp_path / "second.jsonl"
    notes_jsonl.export_notes(again)
    assert again.read_text() == exported.read_text()
    imported = db.session.get(Note, reply.id)
    assert imported.thread_id == first.id and db.session.get(Note, first.id).reply_count == 1
    assert accounts.find_user("lee").password_hash is None  # created, cannot sign in
    assert not accounts.find_user("lee").is_active
    twice = notes_jsonl.import_notes(exported)
    assert twice.created == 0 and twice.skipped == {"already imported (unchanged)": 2}


def test_bad_lines_are_reported_by_number_and_skipped_whole(ctx, make_user, tmp_path):
    make_user("sam")
    path = write(
        tmp_path,
        line(1, "fine #ok"),
        "{not json",
        json.dumps([1, 2]),
        line(2, ""),
        line(3, "x" * 501),
        line(4, "bad time", posted_at="yesterday"),
        line(5, "no zone", posted_at="2026-03-02T09:00:00"),
        line(6, "who?", author="Not A Name"),
        line(7, "ghost incident", incident="INC9999999"),
        line(8, "orphan", reply_to=999),
        line(1, "same id again"),
        line(-3, "negative id"),
        line(9, "reply to an earlier line", reply_to=1),
    )
    summary = notes_jsonl.import_notes(path)
    assert summary.created == 2
    problems = [p.split(":")[0] for p in summary.problems]
    assert problems == [f"line {n}" for n in range(2, 13)]
    assert "posted_at needs a time zone offset" in summary.problems[5]
    assert "reply_to 999 is not a note here or earlier in the file" in summary.problems[8]
    assert count(Note) == 2
    assert db.session.get(Note, 9).thread_id == 1


def test_imported_notes_derive_tags_mentions_incidents_and_notify(ctx, make_user, tmp_path):
    sam = make_user("sam")
    make_user("lee")
    incident = incidents.register(sam, title="Mail")
    path = write(
        tmp_path,
        line(10, f"queue stuck on {incident.number} #mail", author="kim"),
        line(11, "@lee please look #Mail", author="kim", minutes=1, reply_to=10),
        line(12, "thanks", author="lee", minutes=2, reply_to=11),
    )
    summary = notes_jsonl.import_notes(path)
    assert summary.created == 3 and not summary.problems
    notes_ = {n.id: n for n in db.session.scalars(select(Note))}
    assert {n.incident_id for n in notes_.values()} == {incident.id}  # named, then inherited
    told = db.session.execute(select(Notification.kind, Notification.user_id)).all()
    lee, kim = accounts.find_user("lee"), accounts.find_user("kim")
    assert sorted(told) == sorted([("mention", lee.id), ("reply", kim.id)])
    assert db.session.get(User, lee.id).unread_count == 1


def test_posting_after_an_import_takes_a_new_id(ctx, make_user, tmp_path):
    sam = make_user("sam")
    notes_jsonl.import_notes(write(tmp_path, line(500, "imported with a high id")))
    posted = notes.post_note(sam, "posted afterwards")
    assert posted.id == 501  # PostgreSQL's sequence was moved past the imported ids


def test_reading_ahead_in_a_second_process_gives_what_reading_inline_does(ctx, tmp_path):
    lines = [(n, line(n, f"note {n} #tag{n % 3} INC000000{n % 9}")) for n in range(1, 40)]
    lines[7] = (8, "{not json")
    batches = [lines[i : i + 10] for i in range(0, len(lines), 10)]
    pattern = DEFAULT_INCIDENT_PATTERN
    inline = [notes_jsonl._read_note_lines(batch, pattern) for batch in batches]
    ahead = list(notes_jsonl._read_ahead(iter(batches), notes_jsonl._read_note_lines, pattern))
    assert ahead == inline and ahead[0][7][0] == 8


def test_string_ids_are_kept_as_external_ids_idempotently_and_round_trip(ctx, tmp_path):
    path = write(
        tmp_path,
        line("chat-8812", "tunnel resets #vpn"),
        line("chat-8813", "same here", author="lee", minutes=1, reply_to="chat-8812"),
        line(42, "a numbered one", minutes=2, reply_to="chat-8813"),
    )
    summary = notes_jsonl.import_notes(path)
    assert summary.created == 3 and not summary.problems and not summary.refused
    first = db.session.scalar(select(Note).where(Note.external_id == "chat-8812"))
    second = db.session.scalar(select(Note).where(Note.external_id == "chat-8813"))
    assert second.reply_to_id == first.id and db.session.get(Note, 42).thread_id == first.id
    again = notes_jsonl.import_notes(path)
    assert again.created == 0 and again.skipped == {"already imported (unchanged)": 3}
    exported = tmp_path / "out.jsonl"
    assert notes_jsonl.export_notes(exported) == 3
    records = [json.loads(x) for x in exported.read_text().splitlines()]
    assert [r["id"] for r in records] == ["chat-8812", "chat-8813", 42]  # parents first
    assert [r.get("reply_to") for r in records] == [None, "chat-8812", "chat-8813"]
    db.session.commit()
    wipe(ctx)
    assert notes_jsonl.import_notes(exported).created == 3
    replayed = tmp_path / "again.jsonl"
    notes_jsonl.export_notes(replayed)
    assert replayed.read_text() == exported.read_text()


def test_ids_that_are_neither_a_stable_string_nor_a_whole_number_are_refused(ctx, tmp_path):
    path = write(
        tmp_path,
        line(True, "a boolean"),
        line(1.5, "a fraction"),
        line("   ", "blank"),
        line("x" * 201, "too long"),
        line(2**31, "beyond the ids a database keeps"),
        line("ok-1", "fine"),
    )
    summary = notes_jsonl.import_notes(path)
    assert summary.created == 1 and summary.refused == 5
    assert [p.split(":")[0] for p in summary.problems] == [f"line {n}" for n in range(1, 6)]
    assert count(Note) == 1


def test_a_line_longer_than_the_limit_is_refused_without_reading_it_whole(ctx, tmp_path):
    path = tmp_path / "long.jsonl"
    with path.open("w", encoding="utf-8") as out:
        out.write(line(1, "before") + "\n")
        out.write('{"id": 2, "text": "' + "y" * 300_000 + '"}\n')
        out.write(line(3, "after") + "\n")
    summary = notes_jsonl.import_notes(path)
    assert (
        summary.created == 2
        and "line 2: bad lines: the line is longer than 64 KB" in summary.problems[0]
    )
