"""The insight wing: background jobs (reports, heavy analyses), saved report definitions,
the insight board (insights, comments, watchers), interview requests, post-incident
reviews (milestones, actions), notifications about them, and people's preferences.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 15:20:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
INSIGHT_STATUSES = ("new", "investigating", "accepted", "in_design", "shipped", "rejected")
INTERVIEW_STATES = ("pending", "accepted", "declined")
MILESTONES = ("detection", "diagnosis", "repair")


def _utc():
    return sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("preferences", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    op.create_table(
        "report_definitions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_index("ix_report_definitions_owner", "report_definitions", ["owner_id"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column(
            "definition_id",
            sa.Integer(),
            sa.ForeignKey("report_definitions.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("output", sa.String(300), nullable=True),
        sa.Column("patterns", sa.JSON(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("started_at", _utc(), nullable=True),
        sa.Column("beat_at", _utc(), nullable=True),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.CheckConstraint(f"state IN {JOB_STATES!r}", name="state_known"),
    )
    op.create_index("ix_jobs_owner", "jobs", ["owner_id", "id"])
    op.create_index("ix_jobs_definition", "jobs", ["definition_id", "id"])
    op.create_table(
        "insights",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("pattern", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey("incidents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("status_changed_at", _utc(), nullable=False),
        sa.Column("shipped_at", _utc(), nullable=True),
        sa.CheckConstraint(f"status IN {INSIGHT_STATUSES!r}", name="status_known"),
    )
    op.create_index("ix_insights_status", "insights", ["status", "position", "id"])
    op.create_table(
        "insight_comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "insight_id",
            sa.Integer(),
            sa.ForeignKey("insights.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_index("ix_insight_comments_insight", "insight_comments", ["insight_id", "id"])
    op.create_table(
        "insight_watchers",
        sa.Column(
            "insight_id",
            sa.Integer(),
            sa.ForeignKey("insights.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_index("ix_insight_watchers_user", "insight_watchers", ["user_id"])
    op.create_table(
        "interview_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("researcher_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column(
            "insight_id",
            sa.Integer(),
            sa.ForeignKey("insights.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("pattern_title", sa.String(200), nullable=False),
        sa.Column("pattern", sa.JSON(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("answered_at", _utc(), nullable=True),
        sa.CheckConstraint(f"state IN {INTERVIEW_STATES!r}", name="state_known"),
    )
    op.create_index(
        "ix_interview_requests_person", "interview_requests", ["person_id", "state", "id"]
    )
    op.create_index(
        "ix_interview_requests_researcher", "interview_requests", ["researcher_id", "id"]
    )
    op.create_table(
        "incident_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("users_noticed", sa.Text(), nullable=False),
        sa.Column("drafted_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("signed_off_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("signed_off_at", _utc(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
    )
    op.create_table(
        "review_milestones",
        sa.Column(
            "review_id",
            sa.Integer(),
            sa.ForeignKey("incident_reviews.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(12), primary_key=True),
        sa.Column(
            "note_id", sa.Integer(), sa.ForeignKey("notes.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("at", _utc(), nullable=False),
        sa.CheckConstraint(f"kind IN {MILESTONES!r}", name="kind_known"),
    )
    op.create_table(
        "review_actions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "review_id",
            sa.Integer(),
            sa.ForeignKey("incident_reviews.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("done_at", _utc(), nullable=True),
    )
    op.create_index("ix_review_actions_review", "review_actions", ["review_id", "id"])
    with op.batch_alter_table("notifications", recreate="always") as batch:
        batch.add_column(sa.Column("insight_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("interview_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_notifications_insight_id_insights",
            "insights",
            ["insight_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            "fk_notifications_interview_id_interview_requests",
            "interview_requests",
            ["interview_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.drop_constraint(op.f("ck_notifications_about_something"), type_="check")
        batch.create_check_constraint(
            "about_something",
            "note_id IS NOT NULL OR incident_id IS NOT NULL OR tag_id IS NOT NULL"
            " OR insight_id IS NOT NULL OR interview_id IS NOT NULL",
        )


def downgrade():
    op.execute("DELETE FROM notifications WHERE insight_id IS NOT NULL OR interview_id IS NOT NULL")
    with op.batch_alter_table("notifications", recreate="always") as batch:
        batch.drop_constraint(op.f("ck_notifications_about_something"), type_="check")
        batch.create_check_constraint(
            "about_something",
            "note_id IS NOT NULL OR incident_id IS NOT NULL OR tag_id IS NOT NULL",
        )
        batch.drop_constraint(
            op.f("fk_notifications_interview_id_interview_requests"), type_="foreignkey"
        )
        batch.drop_constraint(op.f("fk_notifications_insight_id_insights"), type_="foreignkey")
        batch.drop_column("interview_id")
        batch.drop_column("insight_id")
    for table in (
        "review_actions",
        "review_milestones",
        "incident_reviews",
        "interview_requests",
        "insight_watchers",
        "insight_comments",
        "insights",
        "jobs",
        "report_definitions",
    ):
        op.drop_table(table)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("preferences")
