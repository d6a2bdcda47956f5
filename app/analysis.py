"""The one bridge from the web shell, the jobs and the CLI to `insights/`.

It checks the role, turns the viewer into a plain-data `Scope` (the window, the tags and
services asked for, and the restricted incidents this viewer may not see, from the one
visibility rule), hands `insights/` the database connection, and returns plain results.
Routes and commands never import `insights/` themselves.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from app import visibility
from app.clock import period
from app.errors import Refused
from app.extensions import db
from app.models import User
from insights.frames import incidents_frame
from insights.incident_metrics import response_times
from insights.scope import Scope

LONGEST_PERIOD = timedelta(days=3660)  # ten years of incidents at most in one analysis


def scope_for(
    viewer: User | None,
    first: date,
    last: date,
    *,
    tags: tuple[str, ...] = (),
    services: tuple[str, ...] = (),
) -> Scope:
    """What `viewer` may analyse of the days `first` to `last` (None: what every signed-in
    person may see, nothing restricted)."""
    start, end = period(first, last, longest=LONGEST_PERIOD)
    hidden = visibility.hidden_incidents(viewer)
    return Scope(start, end, tuple(tags), tuple(services), hidden.ids)


def response_metrics(viewer: User, first: date, last: date, by: str) -> pd.DataFrame:
    """MTTA and MTTR per priority or service for incidents registered `first` to `last`."""
    if by not in ("priority", "service"):
        raise Refused("Group by priority or service.")
    scope = scope_for(viewer, first, last)
    return response_times(incidents_frame(db.session.connection(), scope), by)
