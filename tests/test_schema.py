"""The schema: migrations match the models, and hot queries use their indexes."""

from __future__ import annotations

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


@pytest.mark.parametrize("direction", ["top", "before", "after"])
def test_every_feed_pages_on_an_index_without_sorting(ctx, make_user, post, direction):
    """The plan seeks an index and reads it in order: no sort step, whatever the table size.

    PostgreSQL rightly scans tiny test tables; with scans and sorts priced out it still sorts
    if, and only if, no index can deliver the order.
    """
    sam, lee = make_user("sam"), make_user("lee")
    post(lee, "#dns @sam")
    follows.follow(sam, "user", lee.id)
    follows.follow(sam, "tag", 1)
    sqlite = db.engine.dialect.name == "sqlite"
    if not sqlite:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            db.session.execute(text(f"SET LOCAL {setting} = off"))
    cursor = Cursor(utcnow(), 10**9)
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
