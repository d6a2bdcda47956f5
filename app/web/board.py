"""The insight board and interview requests: promote a pattern, move it along (drag, or
the keyboard), discuss and watch it, export the backlog; ask responders for interviews
and answer such requests."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, redirect, request, url_for
from flask_login import current_user, login_required

from app import analysis, board, interviews
from app.clock import utcnow
from app.extensions import htmx
from app.models import INSIGHT_STATUSES
from app.web.pages import render
from app.web.params import record_id

bp = Blueprint("board", __name__)


@bp.get("/insights/board")
@login_required
def index():
    columns = board.board(current_user)
    return render(
        "board/index.html",
        "board/_columns.html",
        columns=columns,
        names=board.STATUS_NAMES,
        holds=_holding(columns),
        may_change=board.may_change(current_user),
        workflow=board.WORKFLOW,
    )


def _holding(columns) -> dict[int, str]:
    """Whether each insight's pattern still holds (the analyses run in the background;
    until they are kept, "checking")."""
    today = utcnow().date()
    fresh = analysis.pattern_keys(current_user, today - timedelta(days=30), today)
    shipped = [i.shipped_at.date() for i in columns["shipped"] if i.shipped_at]
    since = None
    if shipped and min(shipped) < today:
        since = analysis.pattern_keys(current_user, min(shipped), today)
    return {i.id: board.holding(i, fresh, since) for items in columns.values() for i in items}


@bp.post("/insights/board/promote")
@login_required
def promote():
    job_id = record_id(request.form.get("job"), "The report") or 0
    insight = board.promote_from_report(
        current_user,
        job_id,
        request.form.get("key", "")[:400],
        title=request.form.get("title"),
        summary=request.form.get("summary"),
    )
    return redirect(url_for("board.show", insight_id=insight.id), code=303)


@bp.post("/insights/board/promote-notes")
@login_required
def promote_notes():
    ids = [record_id(value, "A note") for value in request.form.getlist("note")[:50]]
    insight = board.promote_notes(
        current_user,
        [i for i in ids if i],
        request.form.get("title", ""),
        request.form.get("summary", ""),
    )
    return redirect(url_for("board.show", insight_id=insight.id), code=303)


@bp.get("/insights/board/<int:insight_id>")
@login_required
def show(insight_id: int):
    insight = board.get(current_user, insight_id)
    return render(
        "board/show.html",
        insight=insight,
        names=board.STATUS_NAMES,
        statuses=INSIGHT_STATUSES,
        comments=board.comments(insight),
        watchers=board.watchers(insight),
        may_change=board.may_change(current_user),
    )


@bp.post("/insights/board/<int:insight_id>/move")
@login_required
def move(insight_id: int):
    direction = request.form.get("step")
    if direction in ("-1", "1"):
        board.step(current_user, insight_id, int(direction))
    else:
        board.move(
            current_user, insight_id, request.form.get("status", ""), request.form.get("reason")
        )
    if htmx:
        return index()
    if request.form.get("back") == "board":
        return redirect(url_for("board.index"), code=303)
    return redirect(url_for("board.show", insight_id=insight_id), code=303)


@bp.post("/insights/board/<int:insight_id>/comment")
@login_required
def comment(insight_id: int):
    board.comment(current_user, insight_id, request.form.get("body", ""))
    return redirect(url_for("board.show", insight_id=insight_id) + "#comments", code=303)


@bp.post("/insights/board/<int:insight_id>/watch")
@login_required
def watch(insight_id: int):
    board.watch(current_user, insight_id, request.form.get("on") == "1")
    return redirect(url_for("board.show", insight_id=insight_id), code=303)


@bp.get("/insights/board.<kind>")
@login_required
def export(kind: str):
    columns = board.board(current_user)
    if kind == "md":
        body, mimetype = board.as_markdown(columns), "text/markdown"
    elif kind == "csv":
        body, mimetype = board.as_csv(columns), "text/csv"
    else:
        return render("error.html", message="No such format.", status=404), 404
    name = f"i2i-insight-board.{kind}"
    return Response(
        body,
        mimetype=f"{mimetype}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/reports/<int:job_id>/interviews")
@login_required
def ask(job_id: int):
    asked = interviews.ask(
        current_user,
        job_id,
        request.form.get("key", "")[:400],
        request.form.getlist("person"),
        request.form.get("question", ""),
    )
    return redirect(url_for("board.interview_list", asked=asked), code=303)


@bp.get("/interviews")
@login_required
def interview_list():
    return render(
        "board/interviews.html",
        received=interviews.received(current_user),
        sent=interviews.sent(current_user),
        asked=request.args.get("asked", "")[:4],
    )


@bp.post("/interviews/<int:request_id>")
@login_required
def interview_answer(request_id: int):
    interviews.answer(current_user, request_id, request.form.get("answer") == "yes")
    return redirect(url_for("board.interview_list"), code=303)
