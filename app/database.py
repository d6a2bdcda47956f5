"""How I2I talks to its database: SQLite pragmas and write transactions.

SQLite allows one writer at a time. A transaction that reads first and writes later can
fail at once with "database is locked" (busy_timeout does not apply to a lock upgrade),
so every write runs in `write_transaction()`, which starts with BEGIN IMMEDIATE and so
waits its turn instead. On PostgreSQL the same code runs in an ordinary transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, has_request_context, request
from sqlalchemy import bindparam, event, exc, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from app.extensions import db
from app.models import UTCDateTime

_writing: ContextVar[bool] = ContextVar("i2i_writing", default=False)
_bulk: ContextVar[bool] = ContextVar("i2i_bulk", default=False)


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    if not _is_sqlite(dbapi_connection):
        return
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes; WAL + NORMAL
    cursor.execute("PRAGMA busy_timeout=15000")
    # 64 MiB of page cache (the default is 2 MiB), allocated only as pages are read: a
    # feed or an import with a large database then keeps its indexes' hot pages at hand.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


# A pooled connection that ended a transaction moments ago is known to work; one that sat
# idle longer may have been cut (the database restarted, a firewall dropped it). Only such
# a connection is tried before use: a ping on every checkout is one more round trip per
# request on PostgreSQL. A connection cut within this window fails its next statement, and
# SQLAlchemy then discards the whole pool, so each worker loses at most one request.
IDLE_CHECK_SECONDS = 5.0


@event.listens_for(Pool, "connect")
@event.listens_for(Pool, "checkin")
def _on_checkin(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    connection_record.info["idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _on_checkout(dbapi_connection, connection_record, connection_proxy) -> None:  # noqa: ARG001
    idle_since = connection_record.info.get("idle_since", 0.0)
    if _is_sqlite(dbapi_connection) or time.monotonic() - idle_since < IDLE_CHECK_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.commit()  # not rollback: psycopg would forget its prepared statements
    except Exception as error:  # the pool then opens a fresh connection in its place
        raise exc.DisconnectionError(f"pooled connection went away: {error}") from error


@event.listens_for(Engine, "begin")
def _on_begin(connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    # The checkpoint threshold applies when this connection commits; a pooled connection
    # remembers the last one set, so it is switched only when the kind of work changes.
    pages = 25_000 if _bulk.get() else 1_000
    if connection.info.get("wal_autocheckpoint", 1_000) != pages:
        connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={pages}")
        connection.info["wal_autocheckpoint"] = pages
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run the block as one write transaction: commit on success, roll back on any error."""
    if _writing.get():  # nested: the outer block commits
        yield
        return
    _fresh_start()
    token = _writing.set(True)
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _writing.reset(token)
    if has_request_context():  # what the request reads next (its response) needs none
        read_without_transaction()


def write_apart(statement, then=None):
    """Run one write `statement` in a transaction of its own, on a connection of its own,
    and return the first value `then` (a select) reads inside it. A long job reports
    progress this way while its session reads in one long transaction."""
    token = _writing.set(True)
    try:
        with db.engine.begin() as connection:
            connection.execute(statement)
            return connection.execute(then).scalar() if then is not None else None
    finally:
        _writing.reset(token)


def read_without_transaction() -> None:
    """On PostgreSQL, let this session read in autocommit mode: no BEGIN before its first
    statement and no COMMIT after its last, two round trips less for a page. Under read
    committed each statement sees what is committed when it starts, inside a transaction
    or not, so the reads see exactly what they would have. Nothing is flushed on the way
    (a change made by mistake is dropped at the end, as in a transaction); a write in
    the same request gets a transaction of its own from `write_transaction`, and what
    the request reads after the write (its response) is read this way again."""
    if db.session().in_transaction() or db.session.get_bind().dialect.name != "postgresql":
        return
    db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    db.session.autoflush = False
    db.session.info["autocommit_read"] = True


def _fresh_start() -> None:
    """Make a write start from fresh data: objects read before it are read again. SQLite
    must also end the read transaction, to begin the write with BEGIN IMMEDIATE; on
    PostgreSQL (read committed) each statement sees what is committed anyway, so the
    transaction carries on and a COMMIT and a BEGIN, two round trips, are saved. After
    `read_without_transaction`, the session lets its autocommit connection go: the
    write's statements run on one with a transaction; what it read stays (read a moment
    ago, outside any snapshot, it is as fresh as reading it again: the signed-in person
    is not read a second time for every write)."""
    if db.session.info.pop("autocommit_read", False):
        session = db.session()
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = True
        session.autoflush = True
    elif db.session.get_bind().dialect.name == "sqlite":
        db.session.commit()
    else:
        db.session.expire_all()


@contextmanager
def trial_transaction() -> Iterator[None]:
    """Run the block as a write transaction, then roll it back whatever happened: what
    the writes would do, refusals included, without their happening (previews)."""
    _fresh_start()
    token = _writing.set(True)  # the domain functions' own transactions join this one
    try:
        yield
    finally:
        db.session.rollback()
        _writing.reset(token)


@contextmanager
def bulk_write_transaction() -> Iterator[None]:
    """`write_transaction` for one of many large batches (imports). On SQLite the WAL is
    checkpointed every 100 MB instead of every 4 MB during such batches (see `_on_begin`):
    the index pages each batch touches are then copied into the database once per many
    batches, not once per batch (twice as fast for a million notes). Each batch still
    commits whole, as durable as any other transaction."""
    token = _bulk.set(True)
    try:
        with write_transaction():
            yield
    finally:
        _bulk.reset(token)


def starts_with(column, prefix: str):
    """`column LIKE 'prefix%'` with the prefix's own % and _ taken literally."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped + "%", escape="\\")


def _insert(model):
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL both do), on the
    Core table: many rows then go as one executemany, without the ORM's per-row work."""
    table = getattr(model, "__table__", model)
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def insert_rows(
    model,
    rows: list[dict],
    *,
    ignore_duplicates: bool = False,
    add_to: tuple[list[str], str] | None = None,
) -> None:
    """Many rows (all with the same keys) in one executemany straight through the driver.

    Values are converted by the columns' own bind processors (aware datetimes become what
    the column stores), but skip SQLAlchemy's statement machinery, which costs more than
    the database itself for the hundreds of thousands of rows of a bulk import.
    `add_to=(key columns, column)`: a row whose key exists adds its `column` to it
    (`add_to_counters` for bulk writes)."""
    if not rows:
        return
    table = getattr(model, "__table__", model)
    dialect = db.session.get_bind().dialect
    names = list(rows[0])
    convert = [_bind_processor(table.c[name].type, dialect) for name in names]
    quote = dialect.identifier_preparer.quote
    marks = ", ".join([PLACEHOLDERS[dialect.paramstyle]] * len(names))
    # Names come from the table's own columns (looked up in table.c above) and are quoted.
    into = f"{quote(table.name)} ({', '.join(quote(n) for n in names)})"
    conflict = " ON CONFLICT DO NOTHING" if ignore_duplicates else ""
    if add_to is not None:
        key, column = add_to
        target = quote(table.c[column].name)
        keys = ", ".join(quote(table.c[k].name) for k in key)
        conflict = (
            f" ON CONFLICT ({keys}) DO UPDATE SET"
            f" {target} = {quote(table.name)}.{target} + excluded.{target}"
        )
    sql = f"INSERT INTO {into} VALUES ({marks}){conflict}"  # noqa: S608
    columns = []
    for name, convert_one in zip(names, convert, strict=True):
        column = [row[name] for row in rows]
        if convert_one is not None:
            column = [None if value is None else convert_one(value) for value in column]
        columns.append(column)
    values = list(zip(*columns, strict=True))
    db.session.connection().exec_driver_sql(sql, values if len(values) > 1 else values[0])


_converted_times: dict[str, dict[datetime, object]] = {}  # per dialect


def sqlite_time(value: datetime) -> str:
    """An aware time as SQLAlchemy's SQLite dialect stores it, "YYYY-MM-DD HH:MM:SS.ffffff"
    in UTC, microseconds always written (so stored times compare as text); three times
    faster than going through the dialect's processors (a test pins them equal)."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given; I2I stores aware UTC times only")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # drop the "+00:00"


def _bind_processor(column_type, dialect):
    """What the dialect's own type does to a value before the driver gets it, as a
    SQLAlchemy statement would. Times are remembered: a bulk write stores each note's
    time in several tables (notes, versions, tags, timelines)."""
    if not isinstance(column_type, UTCDateTime):
        return column_type.dialect_impl(dialect).bind_processor(dialect)
    if dialect.name == "sqlite":
        convert = sqlite_time
    else:
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        convert = processor or (lambda value: value)
    memo = _converted_times.setdefault(dialect.name, {})

    def remembered(value):
        found = memo.get(value)
        if found is None:
            if len(memo) > 100_000:
                memo.clear()
            found = memo[value] = convert(value)
        return found

    return remembered


def insert_ignoring_duplicates(model, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike."""
    if rows:
        db.session.execute(_insert(model).on_conflict_do_nothing(), rows)


def add_to_counter(model, key: dict, column: str, delta: int, first: dict | None = None) -> None:
    """Insert the row `key` with `column` = delta (and the values `first`), or add delta to
    the row that exists: one atomic statement, safe when two writers race."""
    add_to_counters(model, list(key), column, [{**key, **(first or {}), column: delta}])


def add_to_counters(model, key: list[str], column: str, rows: list[dict]) -> None:
    """`add_to_counter` for many rows in one executemany: each row holds the key columns,
    `column` (the delta) and any first values. Written by `insert_rows`: SQLAlchemy
    cannot cache a statement with ON CONFLICT, and compiling it anew cost more than the
    database's work (a third of posting a note)."""
    insert_rows(model, rows, add_to=(key, column))


def increment_each(model, column: str, deltas: dict[int, int]) -> None:
    """`increment` for many rows by id in one executemany ({id: delta})."""
    if not deltas:
        return
    table = model.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({column: table.c[column] + bindparam("delta")})
    )
    db.session.execute(statement, [{"row_id": i, "delta": d} for i, d in deltas.items()])


def increment(model, row_id: int, column: str, delta: int = 1) -> None:
    """`UPDATE … SET column = column + delta` in the database, atomically.

    The session's copies of the row are left alone (no synchronisation scan over every
    object in the session, which made bulk imports quadratic); read the row afresh after.
    """
    statement = (
        update(model)
        .where(model.id == row_id)
        .values({column: getattr(model, column) + delta})
        .execution_options(synchronize_session=False)
    )
    db.session.execute(statement)


def init_app(app: Flask) -> None:
    """How requests use the session: reads without a transaction where that saves round
    trips, and an end with COMMIT rather than ROLLBACK (both explained below)."""
    app.before_request(_start_read)
    app.teardown_appcontext(_end_read)  # runs before Flask-SQLAlchemy's own teardown


def _start_read() -> None:
    """A request reads without a transaction where that saves round trips
    (`read_without_transaction`); a POST too, since its writes run in transactions of
    their own (`write_transaction`), and what it read before is not read again."""
    if request.endpoint != "static":
        read_without_transaction()


def _end_read(error: BaseException | None) -> None:
    """End a request's read with COMMIT rather than the ROLLBACK the session would send:
    psycopg forgets every prepared statement at a ROLLBACK, so PostgreSQL would plan each
    feed statement again at every request (7 ms for a home feed that runs in 1). Only
    when nothing is pending: writes go through `write_transaction`, never through this."""
    session = db.session()  # this context's session
    if (
        error is None
        and session.in_transaction()
        and not (session.new or session.dirty or session.deleted)
    ):
        session.commit()
