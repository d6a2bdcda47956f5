"""Post-incident reviews: draft one from a major incident's timeline, mark its milestones,
note what responders saw of users, list follow-up actions, sign it off, export it, and
promote its findings to the insight board."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Blueprint, Response, redirect, request, url_for
from flask_login import current_user, login_required

from app import accounts, board, incidents
from app.errors import NotFound
from app.incidents import review
from app.models import MILESTONES
from app.reports import formats
from app.web.pages import render
from app.web.params import policy, record_id

bp = Blueprint("reviews", __name__, url_prefix="/incidents/<number>/review")


def _page(number: str):
    incident = incidents.get_incident(number, current_user)
    return incident, review.review_of(incident)


@bp.get("")
@login_required
def show(number: str):
    incident, found = _page(number)
    context = {"incident": incident, "review": found, "may_draft": review.may_review(incident)}
    if found is not None:
        context |= {
            "document": review.document(incident, found, current_user, policy()),
            "marked": review.milestones(found),
            "notes": review.notes_of(incident, current_user),
            "actions": review.actions(found),
            "kinds": MILESTONES,
        }
    return render("reviews/show.html", **context)


@bp.post("")
@login_required
def draft(number: str):
    incident, _ = _page(number)
    review.draft(current_user, incident, policy())
    return redirect(url_for("reviews.show", number=incident.number), code=303)


@bp.post("/save")
@login_required
def save(number: str):
    incident, _ = _page(number)
    form = request.form
    review.save(
        current_user,
        incident,
        summary=form.get("summary", ""),
        impact=form.get("impact", ""),
        users_noticed=form.get("users_noticed", ""),
        milestones={kind: record_id(form.get(kind), f"The {kind} note") for kind in MILESTONES},
    )
    return redirect(url_for("reviews.show", number=incident.number), code=303)


@bp.post("/actions")
@login_required
def add_action(number: str):
    incident, _ = _page(number)
    owner = None
    if request.form.get("owner", "").strip():
        owner = accounts.find_user(request.form["owner"].strip().lstrip("@")[:30])
        if owner is None:
            raise NotFound("There is no such person to own the action.")
    review.add_action(current_user, incident, request.form.get("text", ""), owner)
    return redirect(url_for("reviews.show", number=incident.number) + "#actions", code=303)


@bp.post("/actions/<int:action_id>/done")
@login_required
def complete_action(number: str, action_id: int):
    incident, _ = _page(number)
    review.complete_action(current_user, incident, action_id)
    return redirect(url_for("reviews.show", number=incident.number) + "#actions", code=303)


@bp.post("/sign-off")
@login_required
def sign_off(number: str):
    incident, _ = _page(number)
    review.sign_off(current_user, incident)
    return redirect(url_for("reviews.show", number=incident.number), code=303)


@bp.post("/promote")
@login_required
def promote(number: str):
    incident, found = _page(number)
    if found is None:
        raise NotFound("This incident has no review yet.")
    insight = board.promote_review(current_user, incident, found)
    return redirect(url_for("board.show", insight_id=insight.id), code=303)


@bp.get("/export.<kind>")
@login_required
def export(number: str, kind: str):
    incident, found = _page(number)
    if found is None or kind not in ("html", "pdf", "json"):
        raise NotFound("There is no such export.")
    doc = review.document(incident, found, current_user, policy())
    if kind == "json":
        body = json.dumps(doc, default=_iso, ensure_ascii=False, indent=1).encode()
    else:
        page = formats.standalone("reviews/standalone.html", doc=doc)
        body = page.encode() if kind == "html" else formats.pdf_of(page)
    name = f"review-{incident.number}.{kind}"
    return Response(
        body,
        mimetype=formats.FORMATS[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    raise TypeError(f"{type(value).__name__} is not JSON")
