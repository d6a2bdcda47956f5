"""Pattern reports: ask for one, watch it run, read it, take it away in any format, and
keep its definition to run again at the next review."""

from __future__ import annotations

from flask import Blueprint, redirect, request, send_file, url_for
from flask_login import current_user, login_required

from app import reports
from app.errors import Forbidden
from app.extensions import htmx
from app.reports import formats
from app.reports.document import SECTION_TITLES
from app.web.pages import render

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _allowed() -> None:
    if not reports.may_report(current_user):
        raise Forbidden("Reports are for researchers, designers and managers.")


@bp.get("")
@login_required
def index():
    _allowed()
    return render(
        "reports/index.html",
        titles=SECTION_TITLES,
        recent=reports.recent(current_user),
        saved=reports.definitions(current_user),
        defaults=reports.report_params(first=None, last=None),
    )


@bp.post("")
@login_required
def create():
    form = request.form
    params = reports.report_params(
        first=form.get("from"),
        last=form.get("to"),
        tags=_split(form.get("tags")),
        services=_split(form.get("services")),
        teams=_split(form.get("teams")),
        priorities=form.getlist("priority"),
        incidents=_split(form.get("incidents")),
        sections=form.getlist("section"),
        pseudonymise=form.get("pseudonymise") == "on",
        mask_incidents=form.get("mask_incidents") == "on",
        title=form.get("title"),
    )
    definition = None
    if form.get("save_as", "").strip():
        definition = reports.save_definition(current_user, form["save_as"], params)
    job = reports.start(current_user, params, definition)
    return redirect(url_for("reports.show", job_id=job.id), code=303)


def _split(value: str | None) -> list[str]:
    return [part for part in (value or "").replace(",", " ").split() if part][:50]


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int):
    job = reports.report_job(current_user, job_id)
    document = reports.document_of(current_user, job_id)
    context = {
        "job": job,
        "report": document,
        "titles": SECTION_TITLES,
        "formats": formats.FORMATS,
        "poll_url": url_for("reports.show", job_id=job.id),
        "retry_url": url_for("reports.index"),
        "label": "Building the report",
    }
    if document is None:
        return render("reports/show.html", "jobs/_status.html", **context)
    context["charts"] = formats.document_charts(document)
    context["chart_name"] = formats.pattern_chart_name
    partial = "reports/_preview.html" if htmx else None
    return render("reports/show.html", partial, **context)


@bp.get("/<int:job_id>/download/<kind>")
@login_required
def download(job_id: int, kind: str):
    path, mimetype, name = reports.file_of(current_user, job_id, kind)
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)


@bp.post("/saved/<int:definition_id>/run")
@login_required
def rerun(definition_id: int):
    job = reports.rerun(current_user, definition_id)
    return redirect(url_for("reports.show", job_id=job.id), code=303)


@bp.post("/<int:job_id>/save")
@login_required
def save(job_id: int):
    job = reports.report_job(current_user, job_id)
    reports.save_definition(current_user, request.form.get("name", ""), job.params)
    return redirect(url_for("reports.index"), code=303)
