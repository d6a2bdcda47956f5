"""Tables only: columns, relationships, constraints, indexes. Rules live in domain modules."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from app.clock import utcnow
from app.extensions import db
from app.itil import STATUSES

# Ids are INTEGER columns: 32-bit on PostgreSQL. A number beyond is no id (4xx, not 500).
MAX_ID = 2**31 - 1

ROLES = ("responder", "designer", "researcher", "manager", "admin")
FOLLOW_TARGETS = ("user", "tag", "incident", "service")
INCIDENT_STATUSES = STATUSES
INCIDENT_SOURCES = ("manual", "alert", "import")
MEMBER_ROLES = ("commander", "scribe", "liaison", "member")
JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
INSIGHT_STATUSES = ("new", "investigating", "accepted", "in_design", "shipped", "rejected")
INTERVIEW_STATES = ("pending", "accepted", "declined")
MILESTONES = ("detection", "diagnosis", "repair")


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, PostgreSQL timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; I2I stores aware UTC times only")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(30), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    # None: an account that cannot sign in (imported authors, system accounts).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="responder")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Unread notifications on notes this person may see, kept by `notifications` so that
    # the header's badge costs no query (the user row is loaded for every request anyway).
    unread_count: Mapped[int] = mapped_column(Integer, default=0)
    # What the person chose on their settings page (time zone, theme, muted notification
    # kinds, timeline order); `accounts.preferences` reads it with its defaults.
    preferences: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role_known"),)

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive accounts cannot sign in
        return self.active and self.password_hash is not None

    def has_role(self, *roles: str) -> bool:
        return self.role == "admin" or self.role in roles


class Note(db.Model):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # occurred_at falling back to posted_at, stored so that every feed index can order by it.
    sort_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("notes.id"))
    # The incident the note was written in (from its page, or the first number it names).
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("notes.id"))
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retracted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    # The source's own id when a note was imported with a string id ("chat-8812"); notes
    # imported with a number id keep it as their `id`. Imports are idempotent by either.
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    reply_to: Mapped[Note | None] = relationship(
        remote_side=[id], foreign_keys=[reply_to_id], lazy="select"
    )
    mentions: Mapped[list[Mention]] = relationship(cascade="all, delete-orphan")
    versions: Mapped[list[NoteVersion]] = relationship(
        back_populates="note", order_by="NoteVersion.version", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_notes_sort", "sort_at", "id"),
        Index("ix_notes_author_sort", "author_id", "sort_at", "id"),
        Index("ix_notes_thread", "thread_id", "sort_at"),
        Index("ix_notes_reply_to", "reply_to_id"),
        Index("ix_notes_incident", "incident_id", "sort_at", "id"),
    )

    @property
    def is_retracted(self) -> bool:
        return self.retracted_at is not None


class NoteVersion(db.Model):
    """The texts of an edited note, oldest first: version 1 is what was first posted (kept
    from the first edit on; a note never edited has no rows here, its text is its only one)."""

    __tablename__ = "note_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)

    note: Mapped[Note] = relationship(back_populates="versions")

    __table_args__ = (UniqueConstraint("note_id", "version", name="uq_note_versions_note_version"),)


class Hashtag(db.Model):
    """A tag by its normalised key. An alias points at its canonical tag (one hop, always)."""

    __tablename__ = "hashtags"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    display: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    canonical_id: Mapped[int | None] = mapped_column(ForeignKey("hashtags.id"))
    aliased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    aliased_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    first_note_id: Mapped[int | None] = mapped_column(ForeignKey("notes.id"))
    first_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    first_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Recency for autocomplete; refreshed as notes are posted.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    use_count: Mapped[int] = mapped_column(Integer, default=0)  # notes written with this spelling
    # On a canonical tag: its notes visible to everyone, kept current as notes come and go
    # (the tag page must not count a popular tag's notes on every view).
    note_count: Mapped[int] = mapped_column(Integer, default=0)

    canonical: Mapped[Hashtag | None] = relationship(remote_side=[id], foreign_keys=[canonical_id])
    first_user: Mapped[User | None] = relationship(foreign_keys=[first_user_id])

    __table_args__ = (
        Index("ix_hashtags_canonical", "canonical_id"),
        Index("ix_hashtags_last_used", "last_used_at"),
    )


class TagSpelling(db.Model):
    """Each way a tag has been written (#PwReset, #pwreset): display variants for the tag page."""

    __tablename__ = "tag_spellings"

    id: Mapped[int] = mapped_column(primary_key=True)
    hashtag_id: Mapped[int] = mapped_column(ForeignKey("hashtags.id"))
    spelling: Mapped[str] = mapped_column(String(200))
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime)
    use_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("hashtag_id", "spelling", name="uq_tag_spellings_tag"),)


class NoteTag(db.Model):
    """A note carries a canonical tag (`tag_id`), written as `hashtag_id` (kept for history).

    One row per note and canonical tag: after #pwreset becomes an alias of #password_reset,
    a note that had both is listed once under #password_reset.
    """

    __tablename__ = "note_tags"

    note_id: Mapped[int] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("hashtags.id"), primary_key=True)
    hashtag_id: Mapped[int] = mapped_column(ForeignKey("hashtags.id"))
    sort_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_note_tags_feed", "tag_id", "sort_at", "note_id"),
        Index("ix_note_tags_hashtag", "hashtag_id"),
    )


class TagAuthor(db.Model):
    """How many visible notes a person wrote with a canonical tag: the tag page's people count."""

    __tablename__ = "tag_authors"

    tag_id: Mapped[int] = mapped_column(ForeignKey("hashtags.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    note_count: Mapped[int] = mapped_column(Integer, default=0)


class TagHour(db.Model):
    """Notes a person wrote with a canonical tag in one hour, on one incident (0: none).

    Derived data kept in the note's own transaction (`app.tag_hours`), rebuilt by
    `i2i insights rebuild`: trends read tags × hours from here, not notes. Notes of a
    restricted incident are counted under it, so an analysis leaves out the incidents
    hidden from its viewer by their ids."""

    __tablename__ = "tag_hours"

    tag_id: Mapped[int] = mapped_column(ForeignKey("hashtags.id"), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)  # hours since 1970, UTC
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    notes: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_tag_hours_hour", "hour", "tag_id"),)


class TimelineEntry(db.Model):
    """A note delivered to someone's home feed (fan-out on write; rebuilt from follows).

    Derived data: `timelines.rebuild()` recreates it from notes, follows and mentions.
    """

    __tablename__ = "timeline_entries"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    note_id: Mapped[int] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True
    )
    sort_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_timeline_entries_feed", "user_id", "sort_at", "note_id"),
        Index("ix_timeline_entries_note", "note_id"),
    )


class Mention(db.Model):
    __tablename__ = "mentions"

    note_id: Mapped[int] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    sort_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (Index("ix_mentions_feed", "user_id", "sort_at", "note_id"),)


class IncidentRef(db.Model):
    """An incident number written in a note; resolved to a record once incidents exist."""

    __tablename__ = "incident_refs"

    note_id: Mapped[int] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[str] = mapped_column(String(40), primary_key=True)

    __table_args__ = (Index("ix_incident_refs_number", "number"),)


class Follow(db.Model):
    """Someone follows a person, a tag, an incident or a service (target_type + target_id)."""

    __tablename__ = "follows"

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("follower_id", "target_type", "target_id", name="uq_follows_target"),
        CheckConstraint(f"target_type IN {FOLLOW_TARGETS!r}", name="target_known"),
        Index("ix_follows_target", "target_type", "target_id"),
    )


class Notification(db.Model):
    """Something for one person to read: a mention or reply (about a note), an incident
    they follow about to breach its SLA (about an incident), or a tag they follow that
    started trending (about a tag, with the trend's why as its detail)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # mention | reply | sla_respond | sla_resolve | trending | insight_status | interview
    # | interview_answer
    kind: Mapped[str] = mapped_column(String(20))
    note_id: Mapped[int | None] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    tag_id: Mapped[int | None] = mapped_column(ForeignKey("hashtags.id", ondelete="CASCADE"))
    insight_id: Mapped[int | None] = mapped_column(ForeignKey("insights.id", ondelete="CASCADE"))
    interview_id: Mapped[int | None] = mapped_column(
        ForeignKey("interview_requests.id", ondelete="CASCADE")
    )
    detail: Mapped[str | None] = mapped_column(String(300))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    note: Mapped[Note | None] = relationship()
    incident: Mapped[Incident | None] = relationship()
    tag: Mapped[Hashtag | None] = relationship()
    insight: Mapped[Insight | None] = relationship()
    interview: Mapped[InterviewRequest | None] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    __table_args__ = (
        UniqueConstraint("user_id", "kind", "note_id", name="uq_notifications_once"),
        UniqueConstraint("user_id", "kind", "incident_id", name="uq_notifications_incident_once"),
        CheckConstraint(
            "note_id IS NOT NULL OR incident_id IS NOT NULL OR tag_id IS NOT NULL"
            " OR insight_id IS NOT NULL OR interview_id IS NOT NULL",
            name="about_something",
        ),
        Index("ix_notifications_inbox", "user_id", "read_at", "id"),
    )


class Service(db.Model):
    """A service (configuration item) someone follows; incidents name theirs by `name`."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentModel(db.Model):
    """A template that pre-fills a new incident: category, service, impact/urgency, checklist."""

    __tablename__ = "incident_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    category: Mapped[str | None] = mapped_column(String(120))
    subcategory: Mapped[str | None] = mapped_column(String(120))
    service: Mapped[str | None] = mapped_column(String(120))
    impact: Mapped[int | None] = mapped_column(Integer)
    urgency: Mapped[int | None] = mapped_column(Integer)
    checklist: Mapped[str | None] = mapped_column(Text)  # one step a line
    default_tags: Mapped[str | None] = mapped_column(String(500))  # "#vpn #remote"


class Incident(db.Model):
    """An ITIL 4 incident record. Changes go through `app.incidents`, which logs each one."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    # Where an imported record came from ("statuspage:<id>"): what makes imports idempotent.
    external_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    service: Mapped[str | None] = mapped_column(String(120))
    category: Mapped[str | None] = mapped_column(String(120))
    subcategory: Mapped[str | None] = mapped_column(String(120))
    impact: Mapped[int] = mapped_column(Integer)
    urgency: Mapped[int] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer)  # derived from impact × urgency
    status: Mapped[str] = mapped_column(String(20), default="new")
    on_hold_reason: Mapped[str | None] = mapped_column(Text)
    assignment_group: Mapped[str | None] = mapped_column(String(120))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(20), default="manual")
    major: Mapped[bool] = mapped_column(default=False)
    major_manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    restricted: Mapped[bool] = mapped_column(default=False)
    workaround: Mapped[str | None] = mapped_column(Text)
    resolution_code: Mapped[str | None] = mapped_column(String(80))
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    # From imported records (ServiceNow keeps them; I2I derives its own from events).
    reassignment_count: Mapped[int | None] = mapped_column(Integer)
    reopen_count: Mapped[int | None] = mapped_column(Integer)
    made_sla: Mapped[bool | None] = mapped_column()
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("incident_models.id"))
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    major_manager: Mapped[User | None] = relationship(foreign_keys=[major_manager_id])
    parent: Mapped[Incident | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    model: Mapped[IncidentModel | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"status IN {INCIDENT_STATUSES!r}", name="status_known"),
        CheckConstraint(f"source IN {INCIDENT_SOURCES!r}", name="source_known"),
        CheckConstraint("impact BETWEEN 1 AND 3 AND urgency BETWEEN 1 AND 3", name="scales"),
        Index("ix_incidents_status_priority", "status", "priority"),
        Index("ix_incidents_service", "service"),
        Index("ix_incidents_parent", "parent_id"),
        Index("ix_incidents_registered", "registered_at"),
    )


class IncidentEvent(db.Model):
    """One change on an incident's timeline: who changed what, old → new, when."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    field: Mapped[str] = mapped_column(String(40))  # status, owner, priority, major, link, ...
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_incident_events_timeline", "incident_id", "at", "id"),)


class IncidentMember(db.Model):
    """Someone on an incident's team (the tailor-made team), with a role on it."""

    __tablename__ = "incident_members"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), default="member")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint(f"role IN {MEMBER_ROLES!r}", name="role_known"),
        Index("ix_incident_members_user", "user_id"),
    )


class ChecklistItem(db.Model):
    """One step of an incident's checklist, copied from its incident model at registration."""

    __tablename__ = "checklist_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(300))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    done_by: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_checklist_items_incident", "incident_id", "position"),)


class AlertGroup(db.Model):
    """An Alertmanager alert group (by its group key) and the incident it registered."""

    __tablename__ = "alert_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_key: Mapped[str] = mapped_column(String(1000), unique=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    status: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertInstance(db.Model):
    """One alert of a group by its fingerprint: seen firing, later resolved."""

    __tablename__ = "alert_instances"

    group_id: Mapped[int] = mapped_column(ForeignKey("alert_groups.id"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SearchOutbox(db.Model):
    """A note whose search document must be written again (or removed): queued in the same
    transaction as the change, applied to the index by the one index writer."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(Integer)  # no foreign key: the queue outlives notes
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: still to do

    __table_args__ = (Index("ix_search_outbox_applied", "applied_at", "id"),)


class Job(db.Model):
    """A long piece of work run by the job queue (a report): who asked for it, with what,
    how far it has come, and how it ended. The page polls this row, so a reload or
    another machine sees the same progress."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # report
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the CLI
    definition_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_definitions.id", ondelete="SET NULL")
    )
    params: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[str | None] = mapped_column(String(200))  # what it is doing now
    error: Mapped[str | None] = mapped_column(Text)  # why it failed
    output: Mapped[str | None] = mapped_column(String(300))  # file name under the instance dir
    # What a report found, as keys and sizes, to compare one run with the previous one.
    patterns: Mapped[list | None] = mapped_column(JSON)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last sign of life
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User | None] = relationship()
    definition: Mapped[ReportDefinition | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"state IN {JOB_STATES!r}", name="state_known"),
        Index("ix_jobs_owner", "owner_id", "id"),
        Index("ix_jobs_definition", "definition_id", "id"),
    )


class ReportDefinition(db.Model):
    """A saved report (scope, sections, period length) re-run each review period."""

    __tablename__ = "report_definitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    params: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship()

    __table_args__ = (Index("ix_report_definitions_owner", "owner_id"),)


class Insight(db.Model):
    """A pattern promoted to the insight board: what it says, the evidence as it was when
    promoted (a snapshot) and the pattern itself (to check it again on fresh data)."""

    __tablename__ = "insights"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    # trend | tag_pair | tag_attribute | tag_outcome | lead_lag | community | notes | review
    kind: Mapped[str] = mapped_column(String(20))
    pattern: Mapped[dict] = mapped_column(JSON)  # what identifies it, to check it again
    evidence: Mapped[dict] = mapped_column(JSON)  # figures, note ids and quotes when promoted
    status: Mapped[str] = mapped_column(String(20), default="new")
    reject_reason: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order within its status
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    incident_id: Mapped[int | None] = mapped_column(  # from a post-incident review
        ForeignKey("incidents.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    incident: Mapped[Incident | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"status IN {INSIGHT_STATUSES!r}", name="status_known"),
        Index("ix_insights_status", "status", "position", "id"),
    )


class InsightComment(db.Model):
    __tablename__ = "insight_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    insight_id: Mapped[int] = mapped_column(ForeignKey("insights.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()

    __table_args__ = (Index("ix_insight_comments_insight", "insight_id", "id"),)


class InsightWatcher(db.Model):
    __tablename__ = "insight_watchers"

    insight_id: Mapped[int] = mapped_column(
        ForeignKey("insights.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_insight_watchers_user", "user_id"),)


class InterviewRequest(db.Model):
    """A researcher asking a responder who knows a pattern for a short interview. Nothing
    about the person leaves I2I until they accept."""

    __tablename__ = "interview_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    researcher_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    insight_id: Mapped[int | None] = mapped_column(ForeignKey("insights.id", ondelete="SET NULL"))
    pattern_title: Mapped[str] = mapped_column(String(200))  # what the pattern says
    pattern: Mapped[dict] = mapped_column(JSON)  # the pattern, as a report names it
    question: Mapped[str] = mapped_column(Text)  # what is asked
    why: Mapped[str] = mapped_column(Text)  # why this person
    state: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    researcher: Mapped[User] = relationship(foreign_keys=[researcher_id])
    person: Mapped[User] = relationship(foreign_keys=[person_id])
    insight: Mapped[Insight | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"state IN {INTERVIEW_STATES!r}", name="state_known"),
        Index("ix_interview_requests_person", "person_id", "state", "id"),
        Index("ix_interview_requests_researcher", "researcher_id", "id"),
    )


class IncidentReview(db.Model):
    """The post-incident review of a major incident, drafted from its timeline and signed
    off by a manager (which sets the incident's `reviewed_at`)."""

    __tablename__ = "incident_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    summary: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")
    users_noticed: Mapped[str] = mapped_column(Text, default="")  # what responders saw of users
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    incident: Mapped[Incident] = relationship()
    drafted_by: Mapped[User] = relationship(foreign_keys=[drafted_by_id])
    signed_off_by: Mapped[User | None] = relationship(foreign_keys=[signed_off_by_id])


class ReviewMilestone(db.Model):
    """Detection, diagnosis or repair, marked on one of the incident's notes."""

    __tablename__ = "review_milestones"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("incident_reviews.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("notes.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    note: Mapped[Note | None] = relationship()

    __table_args__ = (CheckConstraint(f"kind IN {MILESTONES!r}", name="kind_known"),)


class ReviewAction(db.Model):
    """A follow-up action of a review, with its owner."""

    __tablename__ = "review_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("incident_reviews.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_review_actions_review", "review_id", "id"),)
