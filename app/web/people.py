"""People: profiles with their notes, following them, and one's notifications."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_required

from app import accounts, feeds, follows, notifications, tags
from app.feeds import Feed
from app.web.feed import show_feed
from app.web.forms import EmptyForm
from app.web.pages import render
from app.web.params import record_id

bp = Blueprint("people", __name__)


@bp.get("/u/<username>")
@login_required
def profile(username: str):
    person = accounts.get_user(username)
    return show_feed(
        Feed("user", person.id),
        "people/profile.html",
        person=person,
        works_on=tags.works_on(person),
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
    items = notifications.inbox(current_user)
    cards = feeds.load_notes([i.note_id for i in items if i.note_id], current_user)
    return render(
        "people/notifications.html",
        items=items,
        cards={card.id: card for card in cards},
        action_form=EmptyForm(),
    )


@bp.post("/notifications/read")
@login_required
def mark_read():
    item = record_id(request.form.get("id"), "The notification")
    notifications.mark_read(current_user, item)
    return redirect(url_for("people.inbox"))
