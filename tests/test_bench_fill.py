"""The benchmark's bulk filler writes data the app reads like its own (checked small)."""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import select

from app import accounts, feeds, follows, tag_hours, tags
from app.extensions import db
from app.feeds import Feed
from app.models import TagHour
from bench.fill import fill_sqlite
from tests.conftest import build_app


def test_bulk_filled_notes_read_like_posted_ones(tmp_path):
    path = tmp_path / "bench.sqlite"
    app = build_app(f"sqlite:///{path}", tmp_path)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    fill_sqlite(str(path), notes=500, users=20, tags=30, progress=lambda _: None)
    with app.app_context():
        reader = accounts.create_user("reader", password="long enough pw")
        follows.follow(reader, "user", 1)
        follows.follow(reader, "tag", 1)
        home = feeds.page(Feed("home"), reader, limit=500)
        assert home.notes and all(n.author_id == 1 or "#tag00001" in n.text for n in home.notes)
        profile = tags.tag_profile(tags.get_tag("tag00001"))
        assert profile.note_count == len(feeds.page(Feed("tag", 1), reader, limit=500).notes)
        all_notes = feeds.page(Feed("all"), reader, limit=600).notes
        assert len(all_notes) == 500
        kept = sorted(tuple(r) for r in db.session.execute(select(TagHour.__table__)))
        tag_hours.recount()
        assert sorted(tuple(r) for r in db.session.execute(select(TagHour.__table__))) == kept
        db.session.rollback()
        db.engine.dispose()
