"""The `i2i` console script, run as a newcomer or a script would run it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, database_url

ROOT = Path(__file__).resolve().parent.parent
I2I = Path(sys.executable).parent / "i2i"


@pytest.fixture(params=BACKENDS)
def i2i(request, tmp_path):
    name = f"cli_{uuid.uuid4().hex[:12]}"
    url = database_url(request, request.param, tmp_path, name)
    env = os.environ | {"I2I_INSTANCE_DIR": str(tmp_path), "DATABASE_URL": url}

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(I2I), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        )

    assert run("db", "upgrade").returncode == 0
    return run


def test_users_create_reads_the_password_from_stdin(i2i):
    result = i2i(
        "users",
        "create",
        "maria",
        "--role",
        "manager",
        "--display-name",
        "Maria M",
        stdin="a long password\n",
    )
    assert result.returncode == 0, result.stderr
    assert "created @maria (manager)" in result.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["users", "create", "Bad Name"], "2–30 characters"),
        (["users", "create", "x"], "2–30 characters"),
        (["users", "create", "okname", "--role", "boss"], "Unknown role 'boss'"),
    ],
)
def test_users_create_refuses_invalid_input_with_one_line(i2i, args, message):
    result = i2i(*args, stdin="a long password\n")
    assert result.returncode != 0
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_users_create_refuses_a_duplicate(i2i):
    assert i2i("users", "create", "sam", stdin="a long password\n").returncode == 0
    result = i2i("users", "create", "sam", stdin="another password\n")
    assert result.returncode == 1 and result.stderr.strip() == "i2i: The username 'sam' is taken."


def test_users_create_refuses_a_short_password(i2i):
    result = i2i("users", "create", "sam", stdin="short\n")
    assert result.returncode == 1 and "at least 8 characters" in result.stderr


def test_demo_builds_people_and_notes_once(i2i):
    first = i2i("demo", "--notes", "200", "--seed", "3", "--days", "5")
    assert first.returncode == 0, first.stderr
    assert re.search(r"46 people, 2\d\d notes over 5 days, \d+ incidents", first.stdout)
    again = i2i("demo", "--notes", "60")
    assert again.returncode == 0 and "already built" in again.stdout


def test_import_servicenow_prints_a_summary_and_is_idempotent(i2i, tmp_path):
    import gzip

    source = ROOT.parent / "shared" / "data" / "servicenow-incident-log"
    with gzip.open(source / "incident_event_log.csv.gz", "rt", encoding="utf-8") as rows:
        sample = "".join(next(rows) for _ in range(120))
    path = tmp_path / "sample.csv"
    path.write_text(sample)
    first = i2i("import", "servicenow", str(path))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("created ") and "skipped: none" in first.stdout
    again = i2i("import", "servicenow", str(path))
    assert "created 0" in again.stdout and "already imported (unchanged)" in again.stdout


def test_import_statuspage_prints_progress_and_a_summary_and_is_idempotent(i2i, tmp_path):
    source = ROOT.parent / "shared" / "data" / "github-status-history" / "incidents"
    folder = tmp_path / "status" / "incidents"
    folder.mkdir(parents=True)
    for name in ("01sqkcp7z62r.json", "1bvl46bpr0bl.json", "zzm4nczlpjyy.json"):
        (folder / name).write_bytes((source / name).read_bytes())
    first = i2i("import", "statuspage", str(folder.parent))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("created 3, updated 0, skipped: none")
    assert "Importing status-page incidents" in first.stderr  # the progress bar
    again = i2i("import", "statuspage", str(folder.parent))
    assert again.stdout.startswith("created 0, updated 0, skipped: 3 already imported")


def test_import_of_a_missing_or_wrong_file_fails_with_one_line(i2i, tmp_path):
    assert i2i("import", "servicenow", str(tmp_path / "nope.csv")).returncode != 0
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    result = i2i("import", "servicenow", str(wrong))
    assert result.returncode == 1 and "not a ServiceNow incident export" in result.stderr


def test_every_command_fails_with_one_line_and_the_jsonl_round_trip_works(i2i, tmp_path):
    """Unreadable files, unwritable paths and broken JSON never end in a traceback."""
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"number": "INC0000001", "title": "caf\xe9"}\n'.encode("latin-1"))
    failures = [
        (("import", "incidents", str(latin)), "not UTF-8"),
        (("import", "notes", str(latin)), "not UTF-8"),
        (("export", "notes", str(tmp_path / "no" / "such" / "dir.jsonl")), "dir.jsonl"),
        (("export", "incidents", str(tmp_path / "no" / "dir.jsonl")), "dir.jsonl"),
        (("import", "statuspage", str(tmp_path / "none")), "does not exist"),
    ]
    for args, reason in failures:
        result = i2i(*args)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr and reason in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    good = tmp_path / "incidents.jsonl"
    good.write_text(
        '{"number": "INC0000007", "title": "Mail queue stuck", "impact": 2, "urgency": 2, '
        '"registered_at": "2026-03-02T09:00:00Z"}\n'
        "not json\n"
    )
    imported = i2i("import", "incidents", str(good))
    assert imported.returncode == 1, imported.stderr  # a line was refused, the good one is in
    assert imported.stdout.startswith("created 1,") and "line 2: bad lines" in imported.stdout
    assert "Importing incidents" in imported.stderr  # the progress bar
    assert i2i("import", "incidents", str(good)).stdout.startswith("created 0, updated 0")
    out = tmp_path / "out.jsonl"
    assert i2i("export", "incidents", str(out)).returncode == 0
    assert '"number": "INC0000007"' in out.read_text()


def test_search_verify_rebuild_and_verify_again(i2i):
    assert i2i("demo", "--notes", "40", "--seed", "5", "--days", "3").returncode == 0
    missing = i2i("search", "verify")
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1
    assert "the search index is missing; run `i2i search rebuild`" in missing.stderr
    rebuilt = i2i("search", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.startswith("Indexed ") and "Indexing notes" in rebuilt.stderr
    clean = i2i("search", "verify")
    assert clean.returncode == 0, clean.stderr
    assert "complete and current" in clean.stdout


def test_a_large_notes_file_imports_whole_with_its_bad_lines_reported(i2i, tmp_path):
    """From 20,000 lines on, a second process reads the file: the result is the same."""
    import json
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    records = []
    for note_id in range(1, 20_101):
        record = {
            "id": note_id,
            "author": f"person{note_id % 37}",
            "posted_at": (start + timedelta(seconds=note_id)).isoformat(),
            "text": f"note {note_id} #tag{note_id % 11} @person{note_id % 5}",
        }
        if note_id % 10 == 0:
            record["reply_to"] = note_id - 3
        records.append(json.dumps(record, ensure_ascii=False))
    lines = [*records[:4], "{broken", *records[4:20_000], '{"id": 0}', *records[20_000:]]
    source = tmp_path / "notes.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = i2i("import", "notes", str(source))
    assert result.returncode == 1, result.stderr  # the good ones imported, then the failure
    assert result.stderr.strip().endswith("2 refused (listed above); the others were imported")
    assert result.stdout.startswith("created 20100, updated 0, skipped: 2 bad lines")
    assert "line 5: bad lines" in result.stdout and "line 20002: bad lines" in result.stdout
    exported = tmp_path / "out.jsonl"
    assert i2i("export", "notes", str(exported)).returncode == 0
    assert exported.read_text(encoding="utf-8").splitlines() == records
