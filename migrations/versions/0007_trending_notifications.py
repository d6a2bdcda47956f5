"""Notifications about a followed tag that started trending: notifications.tag_id and
the trend's why in notifications.detail.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 03:40:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications", recreate="always") as batch:
        batch.add_column(sa.Column("tag_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("detail", sa.String(300), nullable=True))
        batch.create_foreign_key(
            "fk_notifications_tag_id_hashtags", "hashtags", ["tag_id"], ["id"], ondelete="CASCADE"
        )
        batch.drop_constraint(op.f("ck_notifications_about_something"), type_="check")
        batch.create_check_constraint(
            "about_something",
            "note_id IS NOT NULL OR incident_id IS NOT NULL OR tag_id IS NOT NULL",
        )


def downgrade():
    op.execute("DELETE FROM notifications WHERE tag_id IS NOT NULL")
    with op.batch_alter_table("notifications", recreate="always") as batch:
        batch.drop_constraint(op.f("ck_notifications_about_something"), type_="check")
        batch.create_check_constraint(
            "about_something", "note_id IS NOT NULL OR incident_id IS NOT NULL"
        )
        batch.drop_constraint(op.f("fk_notifications_tag_id_hashtags"), type_="foreignkey")
        batch.drop_column("detail")
        batch.drop_column("tag_id")
