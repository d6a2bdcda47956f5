"""Notes imported with a string id keep it: notes.external_id, unique.

A source system's note id is often a string ("chat-8812"); imports are idempotent by it.
Notes imported with a number id keep using it as their own id, as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 15:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notes") as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=200), nullable=True))
        batch.create_unique_constraint("uq_notes_external_id", ["external_id"])


def downgrade():
    with op.batch_alter_table("notes") as batch:
        batch.drop_constraint("uq_notes_external_id", type_="unique")
        batch.drop_column("external_id")
