"""Pattern reports: a period and a scope analysed in a background job, kept as one
document (`document.compose`) and exported in every format (`formats`); saved report
definitions re-run each review period, compared with their previous run.

A report is made by and for its author: it shows what they may see (restricted incidents
only for their members) and nothing else; its files are theirs (and an admin's).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import regex
from flask import current_app
from sqlalchemy import select

from app import analysis, queue
from app.clock import parse_day, utcnow
from app.database import write_transaction
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.models import Job, ReportDefinition, User
from app.reports import formats
from app.reports.document import SECTION_TITLES, compose

REPORT_ROLES = ("researcher", "designer", "manager")  # and admins
ALL_SECTIONS = tuple(SECTION_TITLES)
MAX_ITEMS = 20  # tags, services, teams or incidents named in one scope
LONGEST = timedelta(days=3660)
NAME = regex.compile(r"[^\p{Cc}\p{Cs}]{1,120}")

__all__ = [
    "ALL_SECTIONS",
    "SECTION_TITLES",
    "definitions",
    "document_of",
    "build_file",
    "file_of",
    "report_params",
    "rerun",
    "run_job",
    "save_definition",
    "start",
]


def may_report(viewer: User | None) -> bool:
    return viewer is not None and viewer.has_role(*REPORT_ROLES)


def report_params(
    *,
    first: str | None,
    last: str | None,
    tags=(),
    services=(),
    teams=(),
    priorities=(),
    incidents=(),
    sections=ALL_SECTIONS,
    pseudonymise: bool = True,
    mask_incidents: bool = False,
    title: str | None = None,
) -> dict:
    """A report asked for, checked and as plain data (what a job and a saved definition
    carry). Refused with a message when a value is out of bounds."""
    today = utcnow().date()
    start = parse_day(first, "From", today - timedelta(days=30))
    end = parse_day(last, "To", today)
    if end < start:
        raise Refused("The period ends before it starts.")
    if end - start > LONGEST:
        raise Refused("A report covers ten years at most.")
    chosen = [s for s in ALL_SECTIONS if s in set(sections)]
    if not chosen or set(sections) - set(ALL_SECTIONS):
        raise Refused(f"Choose sections among: {', '.join(ALL_SECTIONS)}.")
    levels = []
    for value in priorities:
        text = str(value).strip().upper().removeprefix("P")
        if text not in {"1", "2", "3", "4", "5"}:
            raise Refused("A priority is P1 to P5.")
        levels.append(int(text))
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "tags": _names(tags, "tags", strip="#"),
        "services": _names(services, "services"),
        "teams": _names(teams, "teams"),
        "priorities": sorted(set(levels)),
        "incidents": _names(incidents, "incidents", upper=True),
        "sections": chosen,
        "pseudonymise": bool(pseudonymise),
        "mask_incidents": bool(mask_incidents),
        "title": _title(title),
    }


def _names(values, what: str, strip: str = "", upper: bool = False) -> list[str]:
    names = []
    for value in values:
        name = str(value).strip().lstrip(strip)
        if not name:
            continue
        if not NAME.fullmatch(name):
            raise Refused(f"A name among the {what} is too long or holds control characters.")
        names.append(name.upper() if upper else name)
    if len(names) > MAX_ITEMS:
        raise Refused(f"Name at most {MAX_ITEMS} {what}.")
    return list(dict.fromkeys(names))


def _title(title: str | None) -> str | None:
    title = (title or "").strip()
    if title and not NAME.fullmatch(title):
        raise Refused("A title is at most 120 characters, without control characters.")
    return title or None


def start(viewer: User, params: dict, definition: ReportDefinition | None = None) -> Job:
    """Queue the report of `params` for `viewer`."""
    if not may_report(viewer):
        raise Forbidden("Reports are for researchers, designers and managers.")
    return queue.enqueue("report", params, viewer, definition.id if definition else None)


def run_job(job: Job, progress: queue.Progress) -> queue.Outcome:
    """The job queue's runner for reports: analyse, compose, write every format."""
    viewer = db.session.get(User, job.owner_id) if job.owner_id else None
    kinds = list(formats.FORMATS)
    # Progress in thousandths: the analysis to 800, then each file.
    document, who, patterns = _composed(
        viewer, job.params, _previous_patterns(job), lambda d, t, s: progress(800 * d // t, 1000, s)
    )
    folder = _folder(job.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "document.json").write_text(json.dumps(document, ensure_ascii=False))
    (folder / "people.json").write_text(json.dumps(who))  # never exported
    for done, kind in enumerate(kinds):
        progress(800 + 200 * done // len(kinds), 1000, f"writing the {kind.upper()} file")
        (folder / f"report.{formats.EXTENSIONS[kind]}").write_bytes(formats.render(document, kind))
    return queue.Outcome(output=folder.name, patterns=patterns)


def build_file(viewer: User | None, params: dict, kind: str, progress=None) -> bytes:
    """The report of `params` as `viewer` may see it (None: every signed-in person), in
    format `kind`, built here and now (`i2i report`)."""
    if kind not in formats.FORMATS:
        raise Refused(f"Choose a format among: {', '.join(formats.FORMATS)}.")
    report = progress or (lambda done, total, step: None)
    document, _, _ = _composed(viewer, params, None, lambda d, t, s: report(900 * d // t, 1000, s))
    report(900, 1000, f"writing the {kind.upper()} file")
    found = formats.render(document, kind)
    report(1000, 1000, "done")
    return found


def _composed(viewer, params: dict, previous, progress) -> tuple[dict, dict, list[dict]]:
    data = analysis.report_data(viewer, params, progress)
    patterns = [{"key": p["key"], "size": p["size"]} for p in data["patterns"]]
    changes = analysis.compare_reports(previous, patterns) if previous is not None else None
    document, who = compose(
        data,
        params,
        viewer,
        incident_pattern=current_app.config["I2I_INCIDENT_PATTERN"],
        changes=changes,
    )
    return document, who, patterns


def _previous_patterns(job: Job) -> list[dict] | None:
    """The patterns of the last finished run of the same saved report, if any."""
    if job.definition_id is None:
        return None
    before = db.session.scalars(
        select(Job.patterns)
        .where(Job.definition_id == job.definition_id, Job.state == "done", Job.id < job.id)
        .order_by(Job.id.desc())
        .limit(1)
    ).first()
    return before


def _root() -> Path:
    return Path(current_app.config["I2I_INSTANCE_DIR"]) / "reports"


def _folder(job_id: int) -> Path:
    return _root() / f"report-{job_id}"


def report_job(viewer: User, job_id: int) -> Job:
    job = queue.job_for(viewer, job_id)
    if job.kind != "report":
        raise NotFound("No such report.")
    return job


def document_of(viewer: User, job_id: int) -> dict | None:
    """The document of report job `job_id` (its author's or an admin's); None until done."""
    job = report_job(viewer, job_id)
    if job.state != "done":
        return None
    path = _folder(job.id) / "document.json"
    if not path.exists():
        raise NotFound("This report's files are gone; run it again.")
    return json.loads(path.read_text())


def pattern_of(viewer: User, job_id: int, key: str) -> tuple[Job, dict]:
    """Pattern `key` of finished report `job_id` (`viewer`'s own, or an admin's)."""
    document = document_of(viewer, job_id)
    if document is None:
        raise Refused("This report is not ready yet.", status=409)
    found = next((p for p in document["patterns"] if p["key"] == key), None)
    if found is None:
        raise NotFound("No such pattern in this report.")
    return report_job(viewer, job_id), found | {"report": document}


def who_is(job_id: int, name: str) -> str:
    """The username behind pseudonym `name` in report `job_id` (a name already when the
    report names people)."""
    path = _folder(job_id) / "people.json"
    people = json.loads(path.read_text()) if path.exists() else {}
    return people.get(name, name)


def file_of(viewer: User, job_id: int, kind: str) -> tuple[Path, str, str]:
    """The file of report `job_id` in format `kind`: its path, type and download name."""
    if kind not in formats.FORMATS:
        raise NotFound("No such format.")
    job = report_job(viewer, job_id)
    if job.state != "done":
        raise Refused("This report is not ready yet.", status=409)
    extension = formats.EXTENSIONS[kind]
    path = _folder(job.id) / f"report.{extension}"
    if not path.exists():
        raise NotFound("This report's files are gone; run it again.")
    name = f"i2i-report-{job.params['from']}-{job.params['to']}-{job.id}.{extension}"
    return path, formats.FORMATS[kind], name


def recent(viewer: User, limit: int = 20) -> list[Job]:
    return list(
        db.session.scalars(
            select(Job)
            .where(Job.owner_id == viewer.id, Job.kind == "report")
            .order_by(Job.id.desc())
            .limit(limit)
        )
    )


def save_definition(viewer: User, name: str, params: dict) -> ReportDefinition:
    """Keep a report's scope and sections to re-run each review period."""
    if not may_report(viewer):
        raise Forbidden("Reports are for researchers, designers and managers.")
    name = _title(name)
    if not name:
        raise Refused("Give the saved report a name.")
    with write_transaction():
        definition = ReportDefinition(name=name, owner_id=viewer.id, params=params)
        db.session.add(definition)
    return definition


def definitions(viewer: User) -> list[ReportDefinition]:
    return list(
        db.session.scalars(
            select(ReportDefinition)
            .where(ReportDefinition.owner_id == viewer.id)
            .order_by(ReportDefinition.name)
        )
    )


def rerun(viewer: User, definition_id: int, today: date | None = None) -> Job:
    """Run a saved report again over the latest period of the same length (ending
    today), compared with its previous run."""
    definition = db.session.get(ReportDefinition, definition_id)
    if definition is None or (definition.owner_id != viewer.id and viewer.role != "admin"):
        raise NotFound("No such saved report.")
    today = today or utcnow().date()
    params = dict(definition.params)
    length = date.fromisoformat(params["to"]) - date.fromisoformat(params["from"])
    params["from"], params["to"] = (today - length).isoformat(), today.isoformat()
    return start(viewer, params, definition)
