"""Jobs seen from the web: how far one is (polled by its page) and cancelling it."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_required

from app import queue
from app.web.pages import render

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.get("/<int:job_id>")
@login_required
def status(job_id: int):
    job = queue.job_for(current_user, job_id)
    poll_url = url_for("jobs.status", job_id=job.id)
    return render("jobs/show.html", "jobs/_status.html", job=job, poll_url=poll_url, label="Job")


@bp.post("/<int:job_id>/cancel")
@login_required
def cancel(job_id: int):
    job = queue.cancel(current_user, job_id)
    poll_url = url_for("jobs.status", job_id=job.id)
    if request.headers.get("HX-Request"):
        return render("jobs/_status.html", job=job, poll_url=poll_url, label="Job")
    return redirect(poll_url)
