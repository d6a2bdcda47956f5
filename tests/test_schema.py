"""The schema: migrations match the models, and hot queries use their indexes."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app import feeds, follows
from app.extensions import db
from app.feeds import Cursor, Feed
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


@pytest.mark.parametrize("direction", ["before", "after"])
def test_every_feed_source_pages_on_an_index_without_sorting(ctx, make_user, post, direction):
    """The plan seeks an index and reads it in order: no sort step, whatever the table size.

    PostgreSQL rightly scans tiny test tables; with scans and sorts priced out it still sorts
    if, and only if, no index can deliver the order.
    """
    sqlite = db.engine.dialect.name == "sqlite"
    sam, lee = make_user("sam"), make_user("lee")
    post(lee, "#dns @sam")
    follows.follow(sam, "user", lee.id)
    follows.follow(sam, "tag", 1)
    cursor = Cursor(utcnow(), 10**9)
    if not sqlite:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            db.session.execute(text(f"SET LOCAL {setting} = off"))
    expected = {"all": "ix_notes_sort", "user": "ix_notes_author_sort", "tag": "ix_note_tags_feed"}
    for feed in (Feed("all"), Feed("user", lee.id), Feed("tag", 1), Feed("home")):
        shape, params = feeds._plan(feed, sam, direction)
        params |= {"limit": 21, "cursor_at": cursor.sort_at, "cursor_id": cursor.note_id}
        for source in feeds._sources(shape):
            plan = explain(feeds._cut(source, direction), params)
            if sqlite:
                assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
                assert "TEMP B-TREE" not in plan, plan
            else:
                assert "Index" in plan and "Sort" not in plan, plan
            if feed.kind in expected:
                assert expected[feed.kind] in plan, plan
