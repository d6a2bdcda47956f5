"""Tag × hour aggregates for trends: notes per canonical tag, hour, person and incident.

Derived data, like the search index: kept as notes are written, rebuilt by
`i2i insights rebuild` (this migration fills it from the notes there are).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 01:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tag_hours",
        sa.Column("tag_id", sa.Integer(), sa.ForeignKey("hashtags.id"), primary_key=True),
        sa.Column("hour", sa.Integer(), primary_key=True),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("incident_id", sa.Integer(), primary_key=True),
        sa.Column("notes", sa.Integer(), nullable=False),
    )
    op.create_index("ix_tag_hours_hour", "tag_hours", ["hour", "tag_id"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        hour = "CAST(floor(extract(epoch FROM n.sort_at) / 3600) AS INTEGER)"
    else:
        hour = "CAST(strftime('%s', n.sort_at) AS INTEGER) / 3600"
    op.execute(
        "INSERT INTO tag_hours (tag_id, hour, author_id, incident_id, notes) "
        f"SELECT nt.tag_id, {hour}, n.author_id, COALESCE(n.incident_id, 0), COUNT(*) "
        "FROM note_tags nt JOIN notes n ON n.id = nt.note_id WHERE n.retracted_at IS NULL "
        f"GROUP BY nt.tag_id, {hour}, n.author_id, COALESCE(n.incident_id, 0)"
    )


def downgrade():
    op.drop_index("ix_tag_hours_hour", table_name="tag_hours")
    op.drop_table("tag_hours")
