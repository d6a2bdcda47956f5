"""People: profiles with their notes, following them, and one's notifications."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_required

from app import accounts, follows, notifications
from app.feeds import Feed
from app.web import render
from app.web.feed import show_feed
from app.web.forms import EmptyForm

bp = Blueprint("people", __name__)


@bp.get("/u/<username>")
@login_required
def profile(username: str):
    person = accounts.get_user(username)
    return show_feed(
        Feed("user", person.id),
        "people/profile.html",
        person=person,
        title=f"@{person.username}",
        following=follows.is_following(current_user, "user", person.id),
        action_form=EmptyForm(),
    )


@bp.post("/u/<username>/follow")
@login_required
def follow(username: str):
    person = accounts.get_user(username)
    following = request.form.get("action") != "unfollow"
    follows.set_following(current_user, "user", person.id, following)
    return redirect(url_for("people.profile", username=person.username))


@bp.get("/notifications")
@login_required
def inbox():
    return render(
        "people/notifications.html",
        items=notifications.inbox(current_user),
        action_form=EmptyForm(),
    )


@bp.get("/notifications/count")
@login_required
def unread():
    return render("people/_unread.html", "people/_unread.html")


@bp.post("/notifications/read")
@login_required
def mark_read():
    item = request.form.get("id", type=int)
    notifications.mark_read(current_user, item)
    return redirect(url_for("people.inbox"))
