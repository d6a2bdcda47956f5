"""A person's settings: display name, password, time zone, theme, muted notifications, and
the choices pages remember (an incident's timeline order)."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_required

from app import accounts
from app.web.forms import EmptyForm, require_valid
from app.web.params import local_path

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.post("/timeline-order")
@login_required
def timeline_order():
    """Newest or oldest first on incident timelines, remembered for the person."""
    require_valid(EmptyForm())
    accounts.set_preferences(current_user, timeline_order=request.form.get("order", "")[:10])
    return redirect(local_path(request.form.get("next")) or url_for("incidents.index"))
