"""Feeds, composing, threads, editing and retracting notes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta, timezone
from functools import partial

from flask import Blueprint, current_app, flash, jsonify, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import inspect

from app import accounts, analysis, feeds, incidents, notes, tags
from app.extensions import htmx
from app.feeds import Cursor, Feed
from app.web.forms import EditForm, EmptyForm, NoteForm, require_valid
from app.web.pages import render
from app.web.params import incident_pattern, policy

bp = Blueprint("feed", __name__)


def show_feed(feed: Feed, template: str, side: Callable[[], dict] | None = None, **context):
    """Serve a feed page, an older page (`before`), newer notes (`after`) or the poll bar.
    `side` gives what a whole page shows beside the feed (not read for a partial)."""
    limit = current_app.config["I2I_FEED_PAGE_SIZE"]
    before = Cursor.parse(request.args.get("before"))
    after = Cursor.parse(request.args.get("after"))
    if request.args.get("poll") is not None:
        count = feeds.count_newer(feed, current_user, after)
        return render("feed/_new_bar.html", "feed/_new_bar.html", count=count, after=after)
    if after is not None:
        newer = feeds.newer(feed, current_user, after)
        return render("feed/_new_notes.html", "feed/_new_notes.html", page=newer)
    page = feeds.page(feed, current_user, before=before, limit=limit)
    older_page = "feed/_feed_page.html" if before is not None else None
    if side is not None and not (older_page and htmx):
        context |= side()
    return render(template, older_page, page=page, feed=feed, **context)


def _beside_the_feed() -> dict:
    """The side column of a wide screen: the incidents one follows (trends come lazily)."""
    return {
        "followed_incidents": incidents.followed_incidents(current_user),
        "sla": partial(incidents.sla_summary, policy=policy()),
    }


@bp.get("/")
@login_required
def home():
    return show_feed(Feed("home"), "feed/home.html", _beside_the_feed, title="Home")


@bp.get("/all")
@login_required
def everything():
    return show_feed(Feed("all"), "feed/home.html", _beside_the_feed, title="All notes")


TRENDING_SHOWN = 6


@bp.get("/side/trending")
@login_required
def trending_side():
    """Tags trending in the last 24 hours, for the side column (asked when it shows)."""
    found = analysis.trends_view(current_user, timedelta(hours=24), None)
    return render(
        "feed/_trending_side.html",
        "feed/_trending_side.html",
        trending=found["trends"][:TRENDING_SHOWN],
        emerging=found["emerging"][:TRENDING_SHOWN],
    )


@bp.post("/notes")
@login_required
def compose():
    form = require_valid(NoteForm())
    reply_to = notes.get_note(form.reply_to.data, current_user) if form.reply_to.data else None
    note = notes.post_note(
        current_user,
        form.text.data,
        occurred_at=_occurred_at(form),
        reply_to=reply_to,
        pattern=incident_pattern(),
        policy=policy(),
    )
    if htmx:
        # The note and its author as a feed reads them, in one statement (the committed
        # ORM objects would each be read again).
        (view,) = feeds.load_notes([inspect(note).identity[0]], current_user)
        return render("feed/_note.html", "feed/_note.html", note=view, fresh=True, status=201)
    return redirect(request.referrer if _same_site(request.referrer) else url_for("feed.home"))


def _occurred_at(form: NoteForm):
    if form.occurred_at.data is None:
        return None
    offset = timedelta(minutes=form.tz_offset.data or 0)
    return form.occurred_at.data.replace(tzinfo=timezone(offset))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


@bp.get("/notes/<int:note_id>")
@login_required
def thread(note_id: int):
    note = notes.get_note(note_id, current_user)
    thread = notes.replies(note, current_user)
    return render(
        "notes/show.html",
        note=note,
        thread=feeds.load_notes([n.id for n in thread], current_user, visible_only=False),
        reply_to=note.id,
        action_form=EmptyForm(),
        can_undo=notes.may_undo_retraction(current_user, note.retracted_at, note.retracted_by_id),
    )


@bp.get("/notes/<int:note_id>/card")
@login_required
def card(note_id: int):
    """A note's card (what "Cancel" puts back after editing in place)."""
    note = notes.get_note(note_id, current_user)
    if not htmx:
        return redirect(url_for("feed.thread", note_id=note.id))
    return _card(note.id)


@bp.route("/notes/<int:note_id>/edit", methods=["GET", "POST"])
@login_required
def edit(note_id: int):
    """Edit one's note: in place in the card (htmx), or on a page of its own."""
    note = notes.get_note(note_id, current_user)
    form = EditForm(text=note.text)
    if request.method == "POST":
        require_valid(form)
        notes.edit_note(current_user, note, form.text.data, incident_pattern())
        if htmx:
            return _card(note.id)
        return redirect(url_for("feed.thread", note_id=note.id))
    notes.check_can_edit(current_user, note)
    return render("notes/edit.html", "notes/_edit.html", note=note, form=form)


@bp.get("/notes/<int:note_id>/versions")
@login_required
def versions(note_id: int):
    note = notes.get_note(note_id, current_user)
    return render("notes/versions.html", note=note, versions=notes.versions_of(note, current_user))


@bp.route("/notes/<int:note_id>/retract", methods=["GET", "POST"])
@login_required
def retract(note_id: int):
    """Retract a note after saying what that does (GET: the question; POST: the answer),
    then offer to undo it for a while."""
    note = notes.get_note(note_id, current_user)
    notes.check_can_retract(current_user, note)
    form = EmptyForm()
    if request.method == "GET":
        if note.is_retracted:
            return redirect(url_for("feed.thread", note_id=note.id))
        (view,) = feeds.load_notes([note.id], current_user)
        return render(
            "notes/retract.html",
            "notes/_retract_confirm.html",
            note=note,
            view=view,
            action_form=form,
        )
    require_valid(form)
    notes.retract_note(current_user, note)
    if htmx:
        return render("notes/_retracted.html", note=note, action_form=form)
    flash("Note retracted. You can undo it for a few minutes.", "info")
    return redirect(url_for("feed.thread", note_id=note.id))


@bp.post("/notes/<int:note_id>/restore")
@login_required
def restore(note_id: int):
    """Undo a retraction (the one who retracted it, soon after)."""
    note = notes.get_note(note_id, current_user)
    require_valid(EmptyForm())
    notes.restore_note(current_user, note)
    if htmx:
        return _card(note.id)
    return redirect(url_for("feed.thread", note_id=note.id))


def _card(note_id: int):
    """A note's card as the signed-in person sees it (after an edit or a retraction)."""
    (view,) = feeds.load_notes([note_id], current_user, visible_only=False)
    return render("feed/_card.html", note=view)


@bp.get("/complete/tags")
@login_required
def complete_tags():
    found = tags.suggest_tags(request.args.get("q", "")[:100])
    return jsonify(
        [
            {
                "value": t.display,
                "key": t.key,
                "label": f"#{t.display}",
                "hint": f"{t.note_count} note{'' if t.note_count == 1 else 's'}",
            }
            for t in found
        ]
    )


@bp.get("/complete/users")
@login_required
def complete_users():
    found = accounts.suggest_users(request.args.get("q", "")[:30])
    return jsonify(
        [{"value": u.username, "label": f"@{u.username}", "hint": u.display_name} for u in found]
    )
