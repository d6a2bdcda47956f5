"""The trends page: trending, emerging and declining tags of a window, with their why."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, request
from flask_login import current_user, login_required

from app import analysis
from app.clock import parse_day_or_time
from app.errors import Refused
from app.web.forms import EmptyForm
from app.web.pages import render
from app.web.params import name_filter

bp = Blueprint("trends", __name__)

WINDOWS = {
    "24h": ("24 hours", timedelta(hours=24)),
    "7d": ("7 days", timedelta(days=7)),
    "30d": ("30 days", timedelta(days=30)),
    "90d": ("90 days", timedelta(days=90)),
    "custom": ("custom (from … to)", timedelta(days=90)),
}


@bp.get("/trends")
@login_required
def index():
    window = request.args.get("window") or "24h"
    if window not in WINDOWS:
        raise Refused("Choose a window of 24 hours, 7, 30 or 90 days, or a custom one.")
    to = (request.args.get("to") or "").strip()[:40]
    last = parse_day_or_time(to, "Ending") if to else None
    start = (request.args.get("from") or "").strip()[:40] if window == "custom" else ""
    first = parse_day_or_time(start, "Starting") if start else None
    if window == "custom" and first is None:
        raise Refused("A custom window needs the moment it starts.")
    service, team = (name_filter(request.args.get(key)) for key in ("service", "team"))
    span = WINDOWS[window][1]
    found = analysis.trends_view(
        current_user,
        span,
        last,
        first=first,
        services=(service,) if service else (),
        teams=(team,) if team else (),
    )
    span = found["end"] - found["start"]
    return render(
        "trends/index.html",
        found=found,
        window=window,
        windows=[(key, name) for key, (name, _) in WINDOWS.items()],
        to_value=to[:16],
        from_value=start[:16],
        service=service,
        team=team,
        bucket="hour" if span <= timedelta(days=3) else "day",
        action_form=EmptyForm(),
        title="Trends",
    )
