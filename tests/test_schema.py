"""The schema: migrations match the models, and hot queries use their indexes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app import feeds, follows
from app.extensions import db
from app.feeds import Cursor
from app.models import utcnow


def test_migrations_build_exactly_what_the_models_declare(ctx):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def explain(statement, params: dict) -> str:
    bind = db.session.get_bind()
    compiled = statement.params(**params).compile(bind, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if bind.dialect.name == "sqlite" else "EXPLAIN "
    rows = db.session.execute(text(prefix + str(compiled))).all()
    return "\n".join(str(row[-1]) for row in rows)


def spread_like_a_real_site(make_user, people: int = 40, notes_each: int = 50) -> datetime:
    """Notes by many people on many incidents and tags, then fresh statistics; returns
    the moment halfway through them (a page cut there has notes on both sides)."""
    from app import incidents
    from app.intake import bulk
    from app.intake.bulk import NoteDraft

    authors = [make_user(f"user{n}") for n in range(people)]
    opened = [incidents.register(a, title=f"Outage {n}") for n, a in enumerate(authors)]
    start = utcnow() - timedelta(days=7)
    drafts = [
        NoteDraft(
            author_id=author.id,
            text=f"note {k} #tag{k % people}",
            posted_at=start + timedelta(minutes=n * notes_each + k),
            incident_id=opened[(n + k) % people].id if k % 3 == 0 else None,
        )
        for n, author in enumerate(authors)
        for k in range(notes_each)
    ]
    bulk.post_notes(drafts)
    for table in ("notes", "note_tags", "timeline_entries", "incidents", "incident_members"):
        db.session.execute(text(f"ANALYZE {table}"))
    return start + timedelta(minutes=people * notes_each // 2)


@pytest.mark.parametrize("direction", ["top", "before", "after"])
def test_every_feed_pages_on_an_index_without_sorting(ctx, make_user, post, direction):
    """The plan seeks an index and reads it in order: no sort step, whatever the table size.

    PostgreSQL chooses by statistics, and a truncated table keeps the ones an earlier test
    left (say, every note on incident 1), so here it gets a spread like a real site's,
    freshly analysed: many authors and incidents, each a small share. It rightly scans
    small tables; with scans and sorts priced out it still sorts if, and only if, no
    index can deliver the order.
    """
    sam, lee = make_user("sam"), make_user("lee")
    post(lee, "#dns @sam")
    follows.follow(sam, "user", lee.id)
    follows.follow(sam, "tag", 1)
    sqlite = db.engine.dialect.name == "sqlite"
    cut_at = utcnow()
    if not sqlite:
        cut_at = spread_like_a_real_site(make_user)
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            db.session.execute(text(f"SET LOCAL {setting} = off"))
    cursor = Cursor(cut_at, 10**9)
    params = {
        "subject_id": lee.id,
        "viewer_id": sam.id,
        "viewer_is_admin": False,
        "limit": 21,
        "t0": 1,
        "i0": 1,
        "cursor_at": cursor.sort_at,
        "cursor_id": cursor.note_id,
    }
    # Every range a feed reads (home merges the last three, then sorts that one small page).
    ranges = {
        ("all", "subject_id"): "ix_notes_sort",
        ("user", "subject_id"): "ix_notes_author_sort",
        ("tag", "subject_id"): "ix_note_tags_feed",
        ("timeline", "viewer_id"): "ix_timeline_entries_feed",
        ("tag", "t0"): "ix_note_tags_feed",
        ("incident", "i0"): "ix_notes_incident",
    }
    for (kind, param), index in ranges.items():
        plan = explain(feeds._cut(feeds._range(kind, param), direction), params)
        assert index in plan, plan
        if sqlite:
            assert "TEMP B-TREE" not in plan, plan
        else:
            assert "Sort" not in plan, plan


def test_bulk_writes_store_times_exactly_as_statements_do(ctx, make_user):
    """Whole seconds included: SQLite compares stored times as text."""
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import select

    from app.database import insert_rows, write_transaction
    from app.models import Follow

    sam = make_user("sam")
    moments = [
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=UTC),
        datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    with write_transaction():
        insert_rows(
            Follow,
            [
                {"follower_id": sam.id, "target_type": "tag", "target_id": n, "created_at": m}
                for n, m in enumerate(moments)
            ],
        )
        for n, moment in enumerate(moments):
            db.session.add(
                Follow(follower_id=sam.id, target_type="user", target_id=n, created_at=moment)
            )
    stored = db.session.execute(
        text("SELECT target_type, target_id, created_at FROM follows ORDER BY target_id")
    ).all()
    bulk = {n: at for kind, n, at in stored if kind == "tag"}
    orm = {n: at for kind, n, at in stored if kind == "user"}
    assert bulk == orm
    read = db.session.scalars(select(Follow.created_at).where(Follow.target_type == "tag"))
    assert sorted(read) == sorted(moments)


def test_migration_0004_writes_old_whole_second_times_in_full(tmp_path):
    from flask_migrate import upgrade

    from tests.conftest import build_app

    app = build_app(f"sqlite:///{tmp_path}/old.sqlite", tmp_path)
    with app.app_context():
        from flask_migrate import downgrade

        downgrade(revision="0003")
        db.session.execute(
            text(
                "INSERT INTO users (username, display_name, role, active, created_at, "
                "unread_count) VALUES ('old', 'Old', 'responder', 1, '2025-01-02 03:04:05', 0)"
            )
        )
        db.session.commit()
        upgrade()
        stored = db.session.scalar(text("SELECT created_at FROM users WHERE username = 'old'"))
    assert stored == "2025-01-02 03:04:05.000000"
