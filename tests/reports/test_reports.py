"""Pattern reports over HTTP, opened as their readers would: the page, the standalone HTML,
the PDF turned into PNG pages, the CSV zip, the XLSX read back, the JSON against its
schema; pseudonyms everywhere in exports; restricted incidents only for their members."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import zipfile

import jsonschema
import openpyxl
import pytest
from sqlalchemy import select

from app import incidents, queue
from app.extensions import db
from app.models import Incident, Job, User
from app.reports import formats

FORMATS = ("html", "pdf", "csv", "xlsx", "json")


def build(client, **fields) -> int:
    """Ask for a report as the form does; return its job id."""
    data = {"section": list(formats_sections()), "pseudonymise": "on", **fields}
    response = client.post("/reports", data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def formats_sections():
    from app.reports import ALL_SECTIONS

    return ALL_SECTIONS


def run_jobs(client) -> None:
    queue.drain(client.http.application)


def downloads(client, job_id: int) -> dict[str, bytes]:
    found = {}
    for kind in FORMATS:
        response = client.get(f"/reports/{job_id}/download/{kind}")
        assert response.status_code == 200, (kind, response.status_code)
        assert "attachment" in response.headers["Content-Disposition"]
        found[kind] = response.get_data()
    return found


def text_of(files: dict[str, bytes], tmp_path) -> str:
    """Everything a reader could see in the exports, as text."""
    parts = [files["html"].decode(), files["json"].decode()]
    with zipfile.ZipFile(io.BytesIO(files["csv"])) as archive:
        parts += [archive.read(name).decode() for name in archive.namelist()]
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    parts += [str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row]
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(files["pdf"])
    parts.append(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        if _has("pdftotext")
        else ""
    )
    return "\n".join(parts)


def _has(command: str) -> bool:
    return subprocess.run(["which", command], capture_output=True).returncode == 0


@pytest.fixture
def researcher(make_user):
    return make_user("rui", role="researcher", display_name="Rui Costa")


def test_a_researcher_builds_a_report_watches_it_run_and_reads_it(client, world, researcher):
    client.login("rui")
    job_id = build(client, title="VPN week")
    waiting = client.get(f"/reports/{job_id}").get_data(as_text=True)
    assert "job-queued" in waiting and "<progress" in waiting and "Cancel" in waiting
    run_jobs(client)
    page = client.get(f"/reports/{job_id}").get_data(as_text=True)
    assert "VPN week" in page and "job-" not in page.split("report-document")[0][-200:]
    assert "#tunnel is written with #vpn_drop in 5 notes" in page
    assert "<blockquote>tunnel dropped #vpn_drop #tunnel</blockquote>" in page
    assert 'href="/notes/' in page  # quotes link back inside I2I
    assert "What the counts alone say" in page and "Method" in page
    for kind in FORMATS:
        assert f"/reports/{job_id}/download/{kind}" in page


def test_every_format_opens_as_its_reader_expects(client, world, researcher, tmp_path):
    client.login("rui")
    job_id = build(client)
    run_jobs(client)
    files = downloads(client, job_id)
    html = files["html"].decode()
    assert html.startswith("<!doctype html>") and "<svg" in html
    assert "<script" not in html and not re.search(r'(src|href)="(https?:)?//', html)
    assert files["pdf"].startswith(b"%PDF")
    pages = tmp_path / "page"
    pdf_file = _write(tmp_path / "r.pdf", files["pdf"])
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "2",
                    str(pdf_file), str(pages)], check=True)  # fmt: skip
    assert sorted(p.name for p in tmp_path.glob("page*.png"))
    with zipfile.ZipFile(io.BytesIO(files["csv"])) as archive:
        names = archive.namelist()
        assert {"README.txt", "patterns.csv", "notes.csv", "method.csv"} <= set(names)
        rows = list(csv.DictReader(io.StringIO(archive.read("patterns.csv").decode())))
        assert any(r["key"] == "pair:tunnel+vpn_drop" for r in rows)
        assert "patterns.csv — " in archive.read("README.txt").decode()
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    sheet = book["patterns"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["key", "kind", "section", "reading"]
    pair = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0].startswith("pair:"))
    assert isinstance(pair[header.index("size")], float | int)
    assert isinstance(pair[header.index("notes")], int)
    document = json.loads(files["json"])
    jsonschema.validate(document, formats.schema())
    assert document["pseudonymised"] is True


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_a_pseudonymised_export_names_no_one(client, world, researcher, post, tmp_path):
    post(world["noor"], "asked @ravi and Kim Park about #vpn_drop again", occurred_at=None)
    kim = db.session.scalars(select(User).where(User.username == "kim")).one()
    kim.display_name = "Kim Park"
    db.session.commit()
    client.login("rui")
    job_id = build(client, mask_incidents="on")
    run_jobs(client)
    seen = text_of(downloads(client, job_id), tmp_path)
    assert "P-01" in seen
    people = db.session.execute(select(User.username, User.display_name)).all()
    for username, display in people:
        for name in {username, display, *display.split()}:
            assert not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w])", seen, re.I), name
    numbers = db.session.scalars(select(Incident.number)).all()
    assert numbers and not any(number in seen for number in numbers)
    assert "INC-A" in seen


def test_a_restricted_incident_reaches_only_a_report_by_one_of_its_members(
    client, other_client, world, researcher, make_user
):
    secret = db.session.scalars(select(Incident).where(Incident.restricted)).one()
    member = make_user("rita", role="researcher")
    incidents.add_member(world["lee"], secret, member)
    client.login("rui")
    outsider = build(client, pseudonymise="")
    other_client.login("rita")
    insider = build(other_client, pseudonymise="")
    run_jobs(client)
    theirs = client.get(f"/reports/{outsider}/download/json").get_data(as_text=True)
    assert "exfiltration" not in theirs and "xavi" not in theirs and "lateral" not in theirs
    assert secret.number not in theirs
    mine = other_client.get(f"/reports/{insider}/download/json").get_data(as_text=True)
    assert "exfiltration" in mine
    assert other_client.get(f"/reports/{outsider}").status_code == 403
    assert other_client.get(f"/reports/{outsider}/download/pdf").status_code == 403


def test_reports_are_for_researchers_designers_and_managers(client, world):
    client.login("sam")
    assert client.get("/reports").status_code == 403
    assert client.post("/reports", {"section": "trends"}).status_code == 403
    assert "/reports" not in client.get("/").get_data(as_text=True).split("<main")[0]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"from": "2026-11-30", "to": "2026-11-01"}, "ends before it starts"),
        ({"from": "9999-12-31"}, "1900–2999"),
        ({"from": "1900-01-01", "to": "2999-12-31"}, "ten years"),
        ({"to": "2026-13-40"}, "To"),
        ({"section": "secrets"}, "Choose sections"),
        ({"priority": "P9"}, "P1 to P5"),
        ({"tags": " ".join(f"#t{i}" for i in range(30))}, "at most 20"),
        ({"title": "x" * 500}, "120 characters"),
    ],
)
def test_a_bad_report_request_is_refused_with_a_message(client, researcher, fields, message):
    client.login("rui")
    data = {"section": "trends", **fields}
    response = client.post("/reports", data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalars(select(Job)).first() is None
    assert client.get("/reports/99999999999").status_code == 404
    assert client.get("/reports/1/download/exe").status_code == 404


def test_a_saved_report_runs_again_and_says_what_changed(client, world, researcher, post):
    client.login("rui")
    first = build(client, save_as="Weekly VPN review")
    run_jobs(client)
    for name in ("sam", "lee", "kim"):
        post(world[name], "slow mail again #mail_slow #queue", occurred_at=None)
        post(world[name], "mail queue stuck #mail_slow #queue", occurred_at=None)
    index = client.get("/reports").get_data(as_text=True)
    assert "Weekly VPN review" in index
    saved = re.search(r'action="(/reports/saved/\d+/run)"', index).group(1)
    again = client.post(saved)
    second = int(again.headers["Location"].rsplit("/", 1)[1])
    run_jobs(client)
    document = json.loads(client.get(f"/reports/{second}/download/json").get_data())
    assert "pair:mail_slow+queue" in document["changes"]["new"]
    assert first != second


def test_a_waiting_report_is_cancelled_from_its_page_and_never_runs(client, world, researcher):
    client.login("rui")
    job_id = build(client)
    cancelled = client.post(f"/jobs/{job_id}/cancel", htmx=True).get_data(as_text=True)
    assert "job-cancelled" in cancelled and "cancelled." in cancelled and "hx-get" not in cancelled
    run_jobs(client)
    page = client.get(f"/reports/{job_id}").get_data(as_text=True)
    assert "cancelled." in page and "Start it again" in page
    assert client.get(f"/reports/{job_id}/download/pdf").status_code == 409
    again = client.post(f"/jobs/{job_id}/cancel")
    assert again.status_code == 409 and "already ended" in again.get_data(as_text=True)
