"""The one bridge from the web shell, the jobs and the CLI to `insights/`.

It checks the role, turns the viewer into a plain-data `Scope` (the window, the tags and
services asked for, and the restricted incidents this viewer may not see, from the one
visibility rule), hands `insights/` the database connection, and returns plain results.
Routes and commands never import `insights/` themselves.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from app import tags, visibility
from app.clock import end_of, period, utcnow
from app.errors import Refused
from app.extensions import db
from app.models import User
from app.text import normalize_tag
from insights.frames import incidents_frame
from insights.incident_metrics import response_times
from insights.scope import Scope
from insights.summary import summary, trend_summary

LONGEST_PERIOD = timedelta(days=3660)  # ten years of incidents at most in one analysis


def scope_for(
    viewer: User | None,
    first: date,
    last: date,
    *,
    tags: tuple[str, ...] = (),
    services: tuple[str, ...] = (),
) -> Scope:
    """What `viewer` may analyse of the days `first` to `last`, or from one moment to
    another (None: what every signed-in person may see, nothing restricted)."""
    start, end = period(first, last, longest=LONGEST_PERIOD)
    hidden = visibility.hidden_incidents(viewer)
    return Scope(start, end, tuple(tags), tuple(services), hidden.ids)


def response_metrics(viewer: User, first: date, last: date, by: str) -> pd.DataFrame:
    """MTTA and MTTR per priority or service for incidents registered `first` to `last`."""
    if by not in ("priority", "service"):
        raise Refused("Group by priority or service.")
    scope = scope_for(viewer, first, last)
    return response_times(incidents_frame(db.session.connection(), scope), by)


def canonical_keys(names: tuple[str, ...]) -> tuple[str, ...]:
    """The canonical keys of tags named by a person (an alias leads to its tag)."""
    keys = []
    for name in names:
        tag = tags.find_tag(name)
        keys.append(tags.canonical(tag).key if tag else normalize_tag(name.lstrip("#")))
    return tuple(dict.fromkeys(keys))


def insights_summary(
    viewer: User | None,
    first: date,
    last: date,
    *,
    tag_names: tuple[str, ...] = (),
    services: tuple[str, ...] = (),
) -> dict:
    """Trends, correlations, lead–lag, communities, experts and alias suggestions of the
    days `first` to `last` as `viewer` may see them (None: every signed-in person)."""
    scope = scope_for(viewer, first, last, tags=canonical_keys(tag_names), services=services)
    return summary(db.session.connection(), scope, utcnow())


def trends_view(
    viewer: User, window: timedelta, last: date | None, *, services: tuple[str, ...] = ()
) -> dict:
    """The trends page: trending, emerging and declining tags of the `window` ending at
    `last` (a day's end or a moment; now when None), as `viewer` may see them."""
    now = utcnow()
    end = now if last is None else end_of(last)
    scope = scope_for(viewer, end - window, end, services=services)
    return trend_summary(db.session.connection(), scope, now) | {
        "start": scope.start,
        "end": min(end, now),
    }
