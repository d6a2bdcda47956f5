"""People: profiles with their notes, following them, and one's notifications."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_required

from app import accounts, follows, incidents, notifications, tags
from app.feeds import Feed
from app.web.feed import show_feed
from app.web.forms import EmptyForm, require_valid
from app.web.pages import render
from app.web.params import local_path, page_number, policy, record_id

bp = Blueprint("people", __name__)


@bp.get("/u/<username>")
@login_required
def profile(username: str):
    person = accounts.get_user(username)
    return show_feed(
        Feed("user", person.id),
        "people/profile.html",
        lambda: {
            "works_on": tags.works_on(person),
            "their_incidents": incidents.worked_by(person, current_user),
            "sla": partial(incidents.sla_summary, policy=policy()),
        },
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
    """Notifications grouped by kind and incident, a page of groups at a time."""
    kind = request.args.get("kind", "")[:40] or None
    found = notifications.inbox_groups(
        current_user, page=page_number(request.args.get("page")), kind=kind
    )
    return render(
        "people/notifications.html",
        inbox=found,
        kind=kind,
        kind_label=notifications.kind_label,
        action_form=EmptyForm(),
    )


@bp.post("/notifications/read")
@login_required
def mark_read():
    """Mark read: one group (`group` = kind:incident id, 0 for none), one notification
    (`id`), or all of them."""
    require_valid(EmptyForm())
    group = request.form.get("group", "")[:60]
    if group:
        kind, _, incident = group.partition(":")
        about = None if incident == "0" else record_id(incident, "The incident")
        notifications.mark_group_read(current_user, kind, about)
    else:
        notifications.mark_read(current_user, record_id(request.form.get("id"), "The notification"))
    return redirect(local_path(request.form.get("next")) or url_for("people.inbox"))
