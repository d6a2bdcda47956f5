"""Live updates: the one tiny question every open page asks each second."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from app import live, notifications

bp = Blueprint("live", __name__)


@bp.get("/live")
def changes():
    """204 while nothing changed since the page last looked (`s`: the change counter it
    saw, `u`: its unread count); else the counter and the unread count now, and the page
    asks its own question (new notes, new entries) once."""
    if not current_user.is_authenticated:
        return "", 401  # a page whose session ended: it stops asking
    now = {"s": str(live.stamp()), "u": notifications.unread_count(current_user)}
    if request.args.get("s", "")[:20] == now["s"] and request.args.get("u", "")[:10] == str(
        now["u"]
    ):
        return "", 204
    return jsonify(now)
