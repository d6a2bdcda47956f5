"""Importing real ServiceNow records (the UCI event log in shared/data)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import incidents
from app.extensions import db
from app.intake import servicenow, statuspage
from app.models import Incident, IncidentEvent

SERVICENOW = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "servicenow-incident-log"
    / "incident_event_log.csv.gz"
)


@pytest.fixture
def servicenow_slice(tmp_path) -> Path:
    """The log's first 400 lines: real rows, complete histories but for the last number."""
    with gzip.open(SERVICENOW, "rt", encoding="utf-8") as source:
        lines = [next(source) for _ in range(400)]
    path = tmp_path / "slice.csv"
    path.write_text("".join(lines))
    return path


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_one_incident_per_number_from_its_final_row(ctx, servicenow_slice):
    summary = servicenow.import_servicenow(servicenow_slice)
    numbers = {line.split(",", 1)[0] for line in servicenow_slice.read_text().splitlines()[1:]}
    assert summary.created == len(numbers) == count(Incident)
    first = db.session.scalar(select(Incident).where(Incident.number == "INC0000045"))
    assert (first.status, first.impact, first.urgency, first.priority) == ("closed", 2, 2, 3)
    assert first.assignment_group == "Group 56" and first.reporter.username == "caller_2403"
    assert first.registered_at.isoformat() == "2016-02-29T01:16:00+00:00"
    assert first.closed_at.isoformat() == "2016-03-05T12:00:00+00:00"
    assert first.made_sla is True and first.source == "import"
    moves = [(e.old, e.new) for e in incidents.events(first) if e.field == "status"]
    assert moves == [(None, "new"), ("new", "resolved"), ("resolved", "closed")]


def test_importing_twice_changes_nothing(ctx, servicenow_slice):
    servicenow.import_servicenow(servicenow_slice)
    before = (count(Incident), count(IncidentEvent))
    again = servicenow.import_servicenow(servicenow_slice)
    assert again.created == 0 and (count(Incident), count(IncidentEvent)) == before


def test_bad_rows_are_reported_by_line_and_their_incident_skipped(ctx, servicenow_slice):
    lines = servicenow_slice.read_text().splitlines(keepends=True)
    broken = lines[1].replace("2 - Medium,2 - Medium", "9 - Weird,2 - Medium", 1)
    number = lines[1].split(",", 1)[0]
    lines = [lines[0]] + [line for line in lines[1:] if not line.startswith(number)] + [broken]
    servicenow_slice.write_text("".join(lines))
    summary = servicenow.import_servicenow(servicenow_slice)
    assert summary.skipped == {"incidents with bad rows": 1}
    assert summary.problems[0].startswith(f"line {len(lines)}: incidents with bad rows: {number}")
    assert db.session.scalar(select(Incident).where(Incident.number == number)) is None


def test_a_bad_history_row_is_reported_at_its_own_line(ctx, servicenow_slice):
    lines = servicenow_slice.read_text().splitlines(keepends=True)
    assert lines[2].startswith("INC0000045,Resolved")  # its second row of several
    lines[2] = lines[2].replace("29/2/2016 08:53", "29/02/2016 8h53")
    servicenow_slice.write_text("".join(lines))
    summary = servicenow.import_servicenow(servicenow_slice)
    assert summary.problems == [f"line 3: incidents with bad rows: INC0000045: {BAD_TIME}"]


BAD_TIME = "time data '29/02/2016 8h53' does not match format '%d/%m/%Y %H:%M'"


def test_someone_owns_every_incident_even_when_the_export_names_nobody(ctx, servicenow_slice):
    servicenow.import_servicenow(servicenow_slice)
    unassigned = db.session.scalar(select(Incident).where(Incident.number == "INC0000045"))
    assert unassigned.owner.username == "servicenow" and unassigned.owner.password_hash is None
    assert db.session.scalar(select(func.count()).where(Incident.owner_id.is_(None))) == 0


def test_a_later_export_updates_what_changed_with_an_event_each(ctx, servicenow_slice):
    servicenow.import_servicenow(servicenow_slice)
    numbers = count(Incident)
    lines = servicenow_slice.read_text().splitlines(keepends=True)
    final = max(i for i, line in enumerate(lines) if line.startswith("INC0000045,"))
    lines[final] = lines[final].replace("Group 56,?", "Group 70,Resolver 12", 1)
    servicenow_slice.write_text("".join(lines))
    summary = servicenow.import_servicenow(servicenow_slice)
    assert (summary.created, summary.updated) == (0, 1)
    assert summary.skipped == {"already imported (unchanged)": numbers - 1}
    incident = db.session.scalar(select(Incident).where(Incident.number == "INC0000045"))
    assert (incident.assignment_group, incident.owner.username) == ("Group 70", "resolver_12")
    changes = [
        (e.field, e.old, e.new, e.actor.username)
        for e in incidents.events(incident)
        if e.actor and e.actor.username == "servicenow"
    ]
    assert sorted(changes) == [
        ("assignment_group", "Group 56", "Group 70", "servicenow"),
        ("owner", "servicenow", "resolver_12", "servicenow"),
    ]
    again = servicenow.import_servicenow(servicenow_slice)
    assert (again.created, again.updated) == (0, 0)


def test_a_file_that_is_not_a_servicenow_export_is_refused(ctx, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a ServiceNow incident export"):
        servicenow.import_servicenow(path)


GITHUB = Path(__file__).resolve().parents[3] / "shared" / "data" / "github-status-history"


@pytest.fixture
def statuspage_slice(tmp_path) -> Path:
    """Real files: the legacy HTML one of 2011-07-28 and a few plain modern ones."""
    folder = tmp_path / "status" / "incidents"
    folder.mkdir(parents=True)
    names = ["01sqkcp7z62r.json", "zzm4nczlpjyy.json", "zxng2w1wbl7m.json"]
    for name in names:
        (folder / name).write_bytes((GITHUB / "incidents" / name).read_bytes())
    return folder.parent


def test_statuspage_updates_become_notes_at_their_time(ctx, statuspage_slice):
    from app.models import Note

    summary = statuspage.import_statuspage(statuspage_slice)
    assert summary.created == 3
    legacy = db.session.scalar(
        select(Incident).where(Incident.external_ref == "statuspage:01sqkcp7z62r")
    )
    assert (legacy.service, legacy.priority, legacy.status) == ("Git Operations", 3, "resolved")
    texts = db.session.execute(
        select(Note.text, Note.posted_at)
        .where(Note.incident_id == legacy.id)
        .order_by(Note.posted_at)
    ).all()
    assert texts[0].text.startswith("One of our file servers failed over")
    assert texts[1].text.startswith("Our fileserver issues have been fully resolved!")
    assert [p.isoformat() for _, p in texts] == [
        "2011-07-28T03:06:00+00:00",
        "2011-07-28T05:43:00+00:00",
    ]
    assert all(t.endswith("#GitOperations") for t, _ in texts)


def test_legacy_updates_with_the_time_only_are_split_on_their_day():
    """1bvl46bpr0bl (2018-12-06) stamps its messages "15:14"; a made-up one wraps midnight."""
    real = json.loads((GITHUB / "incidents" / "1bvl46bpr0bl.json").read_text())
    (update,) = real["incident"]["incident_updates"]
    messages = statuspage._messages(update)
    assert [(at.isoformat(), text[:24]) for at, text in messages] == [
        ("2018-12-06T15:14:00+00:00", "We're investigating elev"),
        ("2018-12-06T16:02:00+00:00", "We are continuing our in"),
        ("2018-12-06T17:02:00+00:00", "A fix has been deployed "),
        ("2018-12-06T17:09:00+00:00", "Everything operating nor"),
    ]
    late = {
        "display_at": "2018-03-01T23:40:00Z",
        "body": "<ul><li><strong>23:40</strong> - Slow.</li>"
        "<li><strong>0:15</strong> - Fine.</li></ul>",
    }
    assert [at.isoformat() for at, _ in statuspage._messages(late)] == [
        "2018-03-01T23:40:00+00:00",
        "2018-03-02T00:15:00+00:00",
    ]


def test_broken_status_page_files_are_skipped_with_reasons(ctx, statuspage_slice):
    from app.models import Note

    folder = statuspage_slice / "incidents"
    (folder / "aaaa-broken.json").write_text("{not json")
    (folder / "aaab-wrong.json").write_text('{"page": {}}')
    real = json.loads((folder / "zzm4nczlpjyy.json").read_text())
    real["incident"]["id"] = "badupdate01"
    real["incident"]["incident_updates"][0]["display_at"] = "yesterday-ish"
    (folder / "aaac-bad-update.json").write_text(json.dumps(real))
    summary = statuspage.import_statuspage(statuspage_slice)
    assert summary.created == 3
    assert summary.skipped == {"unreadable files": 2, "incidents with bad updates": 1}
    problems = "\n".join(summary.problems)
    assert "aaaa-broken.json: unreadable files" in problems
    assert "aaab-wrong.json: unreadable files" in problems
    assert "incident badupdate01: incidents with bad updates" in problems
    bad = select(Incident).where(Incident.external_ref == "statuspage:badupdate01")
    assert db.session.scalar(bad) is None  # not half-written
    assert count(Note) > 0


def test_statuspage_import_is_idempotent(ctx, statuspage_slice):
    statuspage.import_statuspage(statuspage_slice)
    before = count(Incident)
    again = statuspage.import_statuspage(statuspage_slice)
    assert again.created == 0 and count(Incident) == before


def test_long_updates_are_split_into_numbered_notes():
    text = " ".join(["word"] * 300)
    parts = statuspage._chunks(text, 480)
    assert len(parts) == 4 and parts[0].endswith("(1/4)") and all(len(p) <= 480 for p in parts)


def test_the_whole_real_export_keeps_its_priorities_and_says_which_matrix_it_follows(ctx):
    summary = servicenow.import_servicenow(SERVICENOW)
    assert summary.created == 20_769
    (notice,) = summary.notices
    assert "569 of 20,769 incidents have a priority other than" in notice
    assert "(1 2 3 / 2 3 4 / 3 4 5)" in notice and "its matrix is 1 2 3 / 2 3 4 / 3 4 4" in notice
    low = db.session.scalars(
        select(Incident.priority).where(Incident.impact == 3, Incident.urgency == 3)
    ).all()
    assert low and set(low) == {4}  # as the source says, not the configured matrix's 5
