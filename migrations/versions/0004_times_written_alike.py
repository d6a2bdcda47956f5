"""Times stored alike on SQLite: microseconds always written.

Bulk writes (imports, the demo) used to hand whole-second times to the sqlite3 driver,
which wrote "2024-01-02 03:04:05", while every other write went through SQLAlchemy,
which writes "2024-01-02 03:04:05.000000". SQLite compares these as text, so the same
moment written both ways was not equal (a feed page boundary could repeat a note).
This rewrites the short form; PostgreSQL stores real timestamps and has nothing to do.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 19:40:00

"""
from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMES = {
    "search_outbox": ["queued_at", "applied_at"],
    "services": ["created_at"],
    "users": ["created_at"],
    "follows": ["created_at"],
    "incidents": [
        "detected_at",
        "registered_at",
        "acknowledged_at",
        "resolved_at",
        "closed_at",
        "reviewed_at",
    ],
    "alert_groups": ["updated_at"],
    "checklist_items": ["done_at"],
    "incident_events": ["at"],
    "incident_members": ["joined_at"],
    "notes": ["posted_at", "occurred_at", "sort_at", "edited_at", "retracted_at"],
    "alert_instances": ["starts_at", "ends_at"],
    "hashtags": ["aliased_at", "first_used_at", "last_used_at"],
    "mentions": ["sort_at"],
    "note_versions": ["written_at"],
    "notifications": ["created_at", "read_at"],
    "timeline_entries": ["sort_at"],
    "note_tags": ["sort_at"],
    "tag_spellings": ["first_used_at"],
}


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in TIMES.items():
        for column in columns:
            # Names from the fixed list above, not from input.
            op.execute(
                f"UPDATE {table} SET {column} = {column} || '.000000' "  # noqa: S608
                f"WHERE length({column}) = 19"
            )


def downgrade():
    pass  # the long form is what SQLAlchemy reads and writes; nothing to undo
