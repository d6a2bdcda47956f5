"""`i2i report` on the simulated organisation, as DESIGN §6 fixes it: every format written
with a progress bar on standard error, pseudonymised by default, a restricted incident
only with --as one of its members, one line and a non-zero status when refused."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date, timedelta

import jsonschema

from app.intake.demo import PEOPLE
from app.reports import formats
from tests.test_cli import i2i  # noqa: F401 - the fixture


def test_report_writes_each_format_and_keeps_restricted_incidents_to_their_members(
    i2i,  # noqa: F811
    tmp_path,
):
    assert i2i("demo", "--notes", "3000").returncode == 0
    truth = json.loads((tmp_path / "demo-ground-truth.json").read_text())
    today = date.today()
    period = ["--from", (today - timedelta(days=40)).isoformat(), "--to", today.isoformat()]
    for kind in formats.FORMATS:
        out = tmp_path / f"r.{kind}"
        result = i2i("report", *period, "--format", kind, "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert "representative notes" in result.stderr  # the progress bar (its steps, off a tty)
        assert out.stat().st_size > 1000
    document = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(document, formats.schema())
    assert document["pseudonymised"] and document["patterns"]
    everyone = (tmp_path / "r.json").read_text()
    with zipfile.ZipFile(tmp_path / "r.csv") as archive:
        tables = " ".join(archive.read(name).decode() for name in archive.namelist())
    shown = " ".join([everyone, (tmp_path / "r.html").read_text(), tables])
    for person in PEOPLE:  # the simulator's people: no username, name or first name
        for name in (person.username, person.display_name, person.display_name.split()[0]):
            assert not re.search(rf"(?<![\w-]){re.escape(name)}(?!\w)", shown, re.I), name
    secret = {tag for r in truth["restricted"] for tag in r["tags"]}
    for tag in secret:
        assert f'"{tag}"' not in everyone and f"#{tag}" not in everyone
    member = truth["restricted"][0]["team"][0]
    out = tmp_path / "member.json"
    as_member = ["--as", member, "--names", "--format", "json", "--out", str(out)]
    result = i2i("report", *period, *as_member)
    assert result.returncode == 0, result.stderr
    assert any(f"#{tag}" in out.read_text() for tag in secret)


def test_report_refuses_bad_input_in_one_line(i2i, tmp_path):  # noqa: F811
    out = str(tmp_path / "r.pdf")
    for args, said in (
        (["--from", "2026-12-01", "--to", "2026-11-01"], "ends before it starts"),
        (["--from", "2026-11-01", "--to", "2026-12-01", "--priority", "P7"], "P1 to P5"),
        (["--from", "2026-11-01", "--to", "2026-12-01", "--as", "nobody"], "no account @nobody"),
    ):
        result = i2i("report", *args, "--format", "pdf", "--out", out)
        assert result.returncode != 0 and said in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
