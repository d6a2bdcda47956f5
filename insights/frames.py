"""Load I2I's records as pandas DataFrames from a SQLAlchemy engine or connection.

Each loader takes a `Scope` and reads only what it allows: rows of the window, and
nothing of the incidents it hides (their ids are few, so they are left out in SQL;
beyond a few thousand, after reading, to keep statements small).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import bindparam, text

from insights.scope import Scope, hour_of

IN_SQL = 2_000  # hidden incidents left out in the statement itself, up to this many
CHUNK = 100_000  # rows read at a time when a caller follows the progress
# A scope's incident filters: its field and the incidents column it matches.
FILTERS = (
    ("services", "service"),
    ("teams", "assignment_group"),
    ("priorities", "priority"),
    ("incidents", "number"),
)
FILTER_NAMES = [field for field, _ in FILTERS]

INCIDENT_COLUMNS = (
    "id, number, service, category, assignment_group, impact, priority, status, major,"
    " registered_at,"
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
    for field, column in FILTERS:
        if getattr(scope, field):
            sql += f" AND {column} IN :{field}"
            params[field] = list(getattr(scope, field))
    frame = _read(connection, sql, params, scope.hidden_incidents, "id", FILTER_NAMES)
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
    on_rows: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Run `sql` leaving out rows whose `column` is a hidden incident; with `on_rows`,
    read in chunks and say how many rows have come so far after each."""
    hidden = sorted(hidden)
    binds = [name for name in expanding if name in params]
    if hidden and len(hidden) <= IN_SQL:
        sql += f" AND ({column} IS NULL OR {column} NOT IN :hidden)"
        params = params | {"hidden": hidden}
        binds.append("hidden")
    statement = text(sql).bindparams(*(bindparam(name, expanding=True) for name in binds))
    if on_rows is None:
        frame = pd.read_sql_query(statement, connection, params=params)
    else:
        chunks, rows = [], 0
        for chunk in pd.read_sql_query(statement, connection, params=params, chunksize=CHUNK):
            chunks.append(chunk)
            rows += len(chunk)
            on_rows(rows)
        frame = pd.concat(chunks, ignore_index=True) if chunks else chunk
    if len(hidden) > IN_SQL:
        frame = frame[~frame[column].isin(set(hidden))]
    return frame


def bound(connection, moment: datetime):
    """SQLite keeps UTC times as zone-less text (as the app writes them); compare alike."""
    if connection.dialect.name == "sqlite":
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def tag_hours_frame(
    connection, scope: Scope, on_rows: Callable[[int], None] | None = None
) -> pd.DataFrame:
    """The tag × hour aggregates of the scope's window: one row per canonical tag, hour,
    person and incident (0: none) with its notes. Columns: tag, hour, person, incident,
    notes (hours since 1970, UTC)."""
    sql = (
        "SELECT t.key AS tag, h.hour, u.username AS person, h.incident_id AS incident, h.notes"
        " FROM tag_hours h JOIN hashtags t ON t.id = h.tag_id JOIN users u ON u.id = h.author_id"
        " WHERE h.hour >= :first AND h.hour < :last"
    )
    # the hours that begin within [start, end)
    last = hour_of(scope.end - timedelta(microseconds=1)) + 1
    params: dict = {"first": hour_of(scope.start), "last": last}
    sql, params = _scoped(sql, params, scope, tag="t.key", incident="h.incident_id")
    return _read(
        connection,
        sql,
        params,
        scope.hidden_incidents,
        "h.incident_id",
        ["tags", *FILTER_NAMES],
        on_rows,
    )


def note_tags_frame(
    connection, scope: Scope, on_rows: Callable[[int], None] | None = None
) -> pd.DataFrame:
    """Each (note, canonical tag) of the window's notes not retracted. Columns: note, tag,
    person, incident (0: none), at. `on_rows(n)` hears how many rows came so far."""
    sql = (
        "SELECT nt.note_id AS note, t.key AS tag, u.username AS person,"
        " COALESCE(n.incident_id, 0) AS incident, n.sort_at AS at"
        " FROM note_tags nt JOIN notes n ON n.id = nt.note_id"
        " JOIN hashtags t ON t.id = nt.tag_id JOIN users u ON u.id = n.author_id"
        " WHERE n.sort_at >= :start AND n.sort_at < :end AND n.retracted_at IS NULL"
    )
    params: dict = {"start": bound(connection, scope.start), "end": bound(connection, scope.end)}
    sql, params = _scoped(sql, params, scope, tag=None, incident="n.incident_id")
    frame = _read(
        connection, sql, params, scope.hidden_incidents, "n.incident_id", FILTER_NAMES, on_rows
    )
    frame["at"] = pd.to_datetime(frame["at"], utc=True, format="mixed")
    if scope.tags:  # whole notes that carry one of the tags, with all their tags
        frame = frame[frame["note"].isin(frame.loc[frame["tag"].isin(scope.tags), "note"])]
    return frame.reset_index(drop=True)


def interactions_frame(connection, scope: Scope) -> pd.DataFrame:
    """Who answered or named whom in the window's notes: columns source, target, kind
    ("reply", "mention"), at. A link with either end's note on a hidden incident is left
    out (after reading: a reply has two notes to check)."""
    hidden = sorted(scope.hidden_incidents)
    params: dict = {"start": bound(connection, scope.start), "end": bound(connection, scope.end)}
    replies = (
        "SELECT a.username AS source, b.username AS target, 'reply' AS kind, n.sort_at AS at,"
        " n.incident_id AS incident, p.incident_id AS other"
        " FROM notes n JOIN notes p ON p.id = n.reply_to_id"
        " JOIN users a ON a.id = n.author_id JOIN users b ON b.id = p.author_id"
        " WHERE n.sort_at >= :start AND n.sort_at < :end AND n.retracted_at IS NULL"
        " AND p.retracted_at IS NULL"
    )
    mentions = (
        "SELECT a.username AS source, b.username AS target, 'mention' AS kind, n.sort_at AS at,"
        " n.incident_id AS incident, n.incident_id AS other"
        " FROM mentions m JOIN notes n ON n.id = m.note_id"
        " JOIN users a ON a.id = n.author_id JOIN users b ON b.id = m.user_id"
        " WHERE n.sort_at >= :start AND n.sort_at < :end AND n.retracted_at IS NULL"
    )
    frames = []
    for sql in (replies, mentions):  # a link counts for the scope's services and teams
        sql, scoped = _scoped(sql, params, scope, tag=None, incident="n.incident_id")
        statement = text(sql).bindparams(
            *(bindparam(name, expanding=True) for name in FILTER_NAMES if name in scoped)
        )
        frames.append(pd.read_sql_query(statement, connection, params=scoped))
    found = [f for f in frames if not f.empty]
    frame = pd.concat(found, ignore_index=True) if found else frames[0]
    if hidden:
        frame = frame[~frame["incident"].isin(hidden) & ~frame["other"].isin(hidden)]
    frame["at"] = pd.to_datetime(frame["at"], utc=True, format="mixed")
    return frame[frame["source"] != frame["target"]][["source", "target", "kind", "at"]]


def first_seen_frame(connection) -> pd.DataFrame:
    """Each canonical tag's first public use (its aliases' included): columns tag, first_seen."""
    sql = (
        "SELECT c.key AS tag, MIN(h.first_used_at) AS first_seen FROM hashtags h"
        " JOIN hashtags c ON c.id = COALESCE(h.canonical_id, h.id)"
        " WHERE h.first_used_at IS NOT NULL GROUP BY c.key"
    )
    frame = pd.read_sql_query(text(sql), connection)
    frame["first_seen"] = pd.to_datetime(frame["first_seen"], utc=True, format="mixed")
    return frame


def incident_facts(connection, ids: Iterable[int], hidden: Iterable[int] = ()) -> pd.DataFrame:
    """Service, category, impact, priority and group of these incidents (hidden ones left
    out)."""
    ids = sorted(set(int(i) for i in ids) - set(hidden) - {0})
    columns = ["id", "service", "category", "impact", "priority", "assignment_group"]
    if not ids:
        return pd.DataFrame(columns=columns)
    parts = []
    for start in range(0, len(ids), IN_SQL):
        statement = text(
            f"SELECT {', '.join(columns)} FROM incidents WHERE id IN :ids"  # noqa: S608
        ).bindparams(bindparam("ids", expanding=True))
        parts.append(
            pd.read_sql_query(statement, connection, params={"ids": ids[start : start + IN_SQL]})
        )
    return pd.concat(parts, ignore_index=True)


def _scoped(sql: str, params: dict, scope: Scope, *, tag: str | None, incident: str):
    if scope.tags and tag:
        sql += f" AND {tag} IN :tags"
        params = params | {"tags": list(scope.tags)}
    for field, column in FILTERS:
        if getattr(scope, field):
            sql += f" AND {incident} IN (SELECT id FROM incidents WHERE {column} IN :{field})"  # noqa: S608 — constant columns
            params = params | {field: list(getattr(scope, field))}
    return sql, params
