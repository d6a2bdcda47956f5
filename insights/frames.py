"""Load I2I's records as pandas DataFrames from a SQLAlchemy engine or connection.

Each loader takes a `Scope` and reads only what it allows: rows of the window, and
nothing of the incidents it hides (their ids are few, so they are left out in SQL;
beyond a few thousand, after reading, to keep statements small).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import bindparam, text

from insights.scope import Scope

IN_SQL = 2_000  # hidden incidents left out in the statement itself, up to this many

INCIDENT_COLUMNS = (
    "id, number, service, category, assignment_group, priority, status, major, registered_at,"
    " acknowledged_at, resolved_at, closed_at, reopen_count, reassignment_count, made_sla"
)
TIMES = ("registered_at", "acknowledged_at", "resolved_at", "closed_at")


def incidents_frame(connection, scope: Scope) -> pd.DataFrame:
    """Incidents registered in the scope's window, one row each, times as UTC timestamps."""
    sql = (
        f"SELECT {INCIDENT_COLUMNS} FROM incidents"  # noqa: S608 — constant columns
        " WHERE registered_at >= :start AND registered_at < :end"
    )
    params: dict = {"start": bound(connection, scope.start), "end": bound(connection, scope.end)}
    if scope.services:
        sql += " AND service IN :services"
        params["services"] = list(scope.services)
    frame = _read(connection, sql, params, scope.hidden_incidents, "id", expanding=["services"])
    for column in TIMES:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="mixed")
    return frame.reset_index(drop=True)


def _read(
    connection,
    sql: str,
    params: dict,
    hidden: Iterable[int],
    column: str,
    expanding: Iterable[str] = (),
) -> pd.DataFrame:
    """Run `sql` leaving out rows whose `column` is a hidden incident."""
    hidden = sorted(hidden)
    binds = [name for name in expanding if name in params]
    if hidden and len(hidden) <= IN_SQL:
        sql += f" AND ({column} IS NULL OR {column} NOT IN :hidden)"
        params = params | {"hidden": hidden}
        binds.append("hidden")
    statement = text(sql).bindparams(*(bindparam(name, expanding=True) for name in binds))
    frame = pd.read_sql_query(statement, connection, params=params)
    if len(hidden) > IN_SQL:
        frame = frame[~frame[column].isin(set(hidden))]
    return frame


def bound(connection, moment: datetime):
    """SQLite keeps UTC times as zone-less text (as the app writes them); compare alike."""
    if connection.dialect.name == "sqlite":
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment
