"""Load I2I's records as pandas DataFrames from a SQLAlchemy engine or connection.

The caller decides what may be seen: pass the ids of the incidents the viewer may see
(the app's visibility rule), and nothing else is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import text

INCIDENTS_REGISTERED_BETWEEN = (
    "SELECT id, number, service, priority, status, major, registered_at, acknowledged_at,"
    " resolved_at, closed_at FROM incidents"
    " WHERE registered_at >= :start AND registered_at < :end"
)


def incidents_frame(
    connection, start: datetime, end: datetime, incident_ids: Iterable[int] | None = None
) -> pd.DataFrame:
    """Incidents registered in [start, end), one row each, times as UTC timestamps."""
    query = INCIDENTS_REGISTERED_BETWEEN
    params = {"start": _bound(connection, start), "end": _bound(connection, end)}
    frame = pd.read_sql_query(text(query), connection, params=params)
    if incident_ids is not None:
        frame = frame[frame["id"].isin(set(incident_ids))]
    for column in ("registered_at", "acknowledged_at", "resolved_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="mixed")
    return frame.reset_index(drop=True)


def _bound(connection, moment: datetime):
    """SQLite keeps UTC times as zone-less text (as the app writes them); compare alike."""
    if connection.dialect.name == "sqlite":
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment
