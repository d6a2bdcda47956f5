"""How a request's database session ends: a read with COMMIT (so PostgreSQL keeps its
prepared statements), anything left pending by mistake with ROLLBACK."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.engine.default import CACHE_HIT
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models import Incident, Note, User
from tests.conftest import wipe


def test_a_read_ends_with_commit_and_stray_changes_are_rolled_back(app, make_user):
    wipe(app)
    with app.app_context():
        make_user("sam")
    ends: list[str] = []
    with app.app_context():
        engine = db.engine
    listeners = {
        "commit": lambda conn: ends.append("commit"),
        "rollback": lambda conn: ends.append("rollback"),
    }
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        with app.app_context():
            db.session.scalar(select(User.username))
        assert ends == ["commit"]
        ends.clear()
        with app.app_context():
            db.session.scalar(select(User).where(User.username == "sam")).display_name = "Oops"
        assert ends == ["rollback"]  # never written: writes go through write_transaction
        with app.app_context():
            assert db.session.scalar(select(User.display_name)) != "Oops"
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)
    if engine.dialect.name == "postgresql":  # a statement run often is prepared, and stays
        engine.dispose()  # one connection, reused by each context in turn (the pool is FIFO)
        for _ in range(7):
            with app.app_context():
                db.session.scalar(select(User.username).where(User.id > 0))
        with app.app_context():
            prepared = db.session.scalar(
                text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%users%'")
            )
        assert prepared >= 1


def test_a_connection_cut_while_idle_is_replaced_before_use(postgres, tmp_path, monkeypatch):
    """PostgreSQL restarted, or a firewall dropped the socket: the request still works."""
    from app import database
    from tests.conftest import build_app

    postgres.psql("CREATE DATABASE idle_cut")
    app = build_app(postgres.url("idle_cut"), tmp_path)
    backend = text("SELECT pg_backend_pid()")
    with app.app_context():
        first = db.session.scalar(backend)
    with app.app_context():  # used a moment ago: no check, the same connection
        assert db.session.scalar(backend) == first
    postgres.psql(f"SELECT pg_terminate_backend({first})")
    monkeypatch.setattr(database, "IDLE_CHECK_SECONDS", 0.0)  # as if it had sat idle
    with app.app_context():
        second = db.session.scalar(backend)
    assert second != first
    # Cut moments after use, it fails the one statement, and the pool starts afresh.
    monkeypatch.setattr(database, "IDLE_CHECK_SECONDS", 1e9)
    postgres.psql(f"SELECT pg_terminate_backend({second})")
    with pytest.raises(OperationalError), app.app_context():
        db.session.scalar(backend)
    with app.app_context():
        assert db.session.scalar(backend) not in (first, second)
        db.engine.dispose()


def test_a_request_reads_without_a_transaction_and_its_writes_still_have_one(postgres, tmp_path):
    """PostgreSQL: no BEGIN or COMMIT around a request's reads; a write is all or nothing,
    and what the request read before its write (the signed-in person) is not read again."""
    from psycopg.pq import TransactionStatus

    from app import accounts
    from app.database import write_transaction
    from tests.conftest import build_app

    postgres.psql("CREATE DATABASE autocommit_reads")
    app = build_app(postgres.url("autocommit_reads"), tmp_path, WTF_CSRF_ENABLED=False)

    def status():
        return db.session.connection().connection.driver_connection.info.transaction_status

    with app.app_context():
        accounts.create_user("sam", password="correct horse battery")
    with app.test_request_context("/", method="GET"):
        app.preprocess_request()
        sam = db.session.scalar(select(User).where(User.username == "sam"))
        assert status() == TransactionStatus.IDLE  # read, and no transaction left open
        with pytest.raises(RuntimeError), write_transaction():
            db.session.add(User(username="lee", display_name="Lee", password_hash="x"))
            db.session.flush()
            assert status() == TransactionStatus.INTRANS
            raise RuntimeError("refused halfway")
        with write_transaction():
            db.session.scalar(select(User).where(User.username == "sam")).role = "manager"
    statements: list[str] = []

    def record(conn, cursor, statement, *rest) -> None:
        statements.append(statement)

    with app.test_request_context("/notes", method="POST"):
        app.preprocess_request()
        sam = db.session.scalar(select(User).where(User.username == "sam"))
        assert status() == TransactionStatus.IDLE  # a POST reads in none either
        event.listen(db.engine, "before_cursor_execute", record)
        with write_transaction():
            assert sam.username == "sam"  # not read again for the write
            sam.display_name = "Sam"
            db.session.flush()
            assert status() == TransactionStatus.INTRANS
        event.remove(db.engine, "before_cursor_execute", record)
        assert [s.split()[0] for s in statements] == ["UPDATE"]
        db.session.scalar(select(User.display_name))
        assert status() == TransactionStatus.IDLE  # and what follows its write in none
    with app.test_request_context("/", method="GET"):
        app.preprocess_request()
        sam = db.session.scalar(select(User).where(User.username == "sam"))
        assert sam.display_name == "Sam"
        sam.display_name = "Stray"  # a change made by mistake in a read...
        db.session.scalar(select(User.id))  # ...is not flushed by the next read
    with app.app_context():
        assert db.session.scalars(select(User.username)).all() == ["sam"]
        assert db.session.scalar(select(User.role)) == "manager"
        assert db.session.scalar(select(User.display_name)) != "Stray"
        db.engine.dispose()


def test_busy_requests_compile_no_statement_once_warm(world, client):
    """SQLAlchemy compiles a statement it cannot cache (an INSERT with ON CONFLICT, say)
    at every call, which cost a third of posting a note. Once warm, posting a note and
    reading the busiest pages build none: each statement comes from the cache, or is
    written for the driver (`database.insert_rows`)."""
    client.login("lee")
    number = db.session.scalar(select(Incident.number).where(Incident.title == "Intrusion"))
    note_id = db.session.scalar(select(Note.id).order_by(Note.id.desc()))
    pages = [
        "/",
        "/all",
        "/tags/vpn_drop",
        "/search?q=tunnel",
        f"/notes/{note_id}",
        f"/incidents/{number}",
        "/u/sam",
        "/notifications",
    ]
    built: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if context is not None and context.compiled is not None and context.cache_hit != CACHE_HIT:
            built.append(context._get_cache_stats() + " " + statement)

    for warm in (True, True, True, False):  # a statement may take a shape or two to settle
        if not warm:
            event.listen(db.engine, "after_cursor_execute", record)
        text_ = f"still dropping {warm} #vpn_drop #tunnel @sam {number}"
        assert client.post("/notes", {"text": text_}, htmx=True).status_code == 201
        for page in pages:
            assert client.get(page).status_code == 200, page
    event.remove(db.engine, "after_cursor_execute", record)
    assert built == []
