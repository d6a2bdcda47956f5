"""Notes: posting, replying, editing (every version kept) and retracting (hidden, kept)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from app import notifications, quick_actions, tags, timelines
from app.accounts import users_named
from app.clock import to_utc, utcnow
from app.database import increment, write_transaction
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.itil import DEFAULT_POLICY, Policy
from app.models import Incident, IncidentRef, Mention, Note, NoteVersion, User
from app.search import outbox
from app.text import DEFAULT_INCIDENT_PATTERN, extract_incident_refs, extract_mentions
from app.visibility import (
    can_see_incident,
    can_see_note,
    counts_as_reply,
    is_public,
    may_read_versions,
)

MAX_LENGTH = 500
# A note may say it happened a little in the future only because clocks drift.
CLOCK_SKEW = timedelta(minutes=5)


def clean_text(text: str | None) -> str:
    """The text as it will be stored: line endings unified, surrounding blank space removed.

    Length counts Unicode code points, as the composer's counter does.
    """
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise Refused("A note needs some text.")
    if len(text) > MAX_LENGTH:
        raise Refused(f"A note is at most {MAX_LENGTH} characters; this one has {len(text)}.")
    return text


def check_occurred_at(occurred_at: datetime | None, now: datetime) -> datetime | None:
    """When the note says it happened, in UTC: not in the future (beyond clock drift),
    not outside the years I2I keeps."""
    if occurred_at is None:
        return None
    occurred_at = to_utc(occurred_at, "'Occurred at'")
    if occurred_at > now + CLOCK_SKEW:
        raise Refused("'Occurred at' cannot be in the future.")
    return occurred_at


def get_note(note_id: int, viewer: User | None) -> Note:
    note = db.session.get(Note, note_id)
    if note is None or not can_see_note(viewer, note):
        raise NotFound("That note does not exist or you cannot see it.")
    return note


def versions_of(note: Note, viewer: User | None) -> list[NoteVersion]:
    """A note's earlier texts; a retracted note's only for its author and admins."""
    if not may_read_versions(viewer, note):
        raise NotFound("That note's earlier versions are not shown: it was retracted.")
    return list(note.versions)


def post_note(
    author: User,
    text: str,
    *,
    occurred_at: datetime | None = None,
    reply_to: Note | None = None,
    posted_at: datetime | None = None,
    incident: Incident | None = None,
    pattern: str = DEFAULT_INCIDENT_PATTERN,
    policy: Policy = DEFAULT_POLICY,
) -> Note:
    """Store a note and everything derived from its text: tags, mentions, references.

    The note belongs to `incident` (posted from its page), else to its parent's incident
    (a reply), else to the first incident its text names that the author can see.
    """
    text = clean_text(text)
    now = posted_at or utcnow()
    occurred_at = check_occurred_at(occurred_at, now)
    actions = quick_actions.parse(text)
    with write_transaction():
        if reply_to is not None:
            reply_to = _check_reply_target(reply_to, author)
        incident = _home_incident(author, text, incident, reply_to, pattern)
        if actions and incident is None:
            raise Refused("Quick actions work on an incident: post from its page or name it.")
        note = Note(
            author_id=author.id,
            text=text,
            posted_at=now,
            occurred_at=occurred_at,
            sort_at=occurred_at or now,
            reply_to_id=reply_to.id if reply_to else None,
            incident_id=incident.id if incident else None,
            thread_id=(reply_to.thread_id or reply_to.id) if reply_to else None,
            reply_count=0,
        )
        db.session.add(note)
        db.session.flush()
        _derive(note, author, pattern)
        timelines.deliver(note)
        outbox.enqueue([note.id])
        if actions:  # in the same transaction: a refused action posts nothing
            quick_actions.apply(author, incident, actions, text, policy)
        if reply_to is not None:
            if counts_as_reply(is_public(note), note.incident_id, reply_to.incident_id):
                increment(Note, reply_to.id, "reply_count")
            if can_see_note(reply_to.author, note):
                notifications.notify(reply_to.author, "reply", note, author)
    return note


def _home_incident(
    author: User, text: str, incident: Incident | None, reply_to: Note | None, pattern: str
) -> Incident | None:
    if incident is not None:
        if not can_see_incident(author, incident):
            raise NotFound("There is no such incident you can see.")
        return incident
    if reply_to is not None and reply_to.incident_id is not None:
        return db.session.get(Incident, reply_to.incident_id)
    for number in extract_incident_refs(text, pattern):
        found = db.session.scalar(select(Incident).where(Incident.number == number))
        if found is not None and can_see_incident(author, found):
            return found
    return None


def _check_reply_target(parent: Note, author: User) -> Note:
    parent = db.session.get(Note, parent.id)
    if parent is None or not can_see_note(author, parent):
        raise NotFound("The note you are replying to does not exist.")
    if parent.is_retracted:
        raise Refused("That note was retracted; it takes no more replies.")
    return parent


def _derive(
    note: Note, author: User, pattern: str, *, already_mentioned: set[str] = frozenset()
) -> None:
    """Tags, mentions and incident references come from the text alone."""
    tags.attach_tags(note)
    mentioned = users_named(extract_mentions(note.text))
    for user in mentioned.values():
        db.session.add(Mention(note_id=note.id, user_id=user.id, sort_at=note.sort_at))
        if user.username not in already_mentioned and can_see_note(user, note):
            notifications.notify(user, "mention", note, author)
    for number in extract_incident_refs(note.text, pattern):
        db.session.add(IncidentRef(note_id=note.id, number=number))


def check_can_edit(actor: User, note: Note) -> None:
    """Only the author edits a note, and only while it is not retracted."""
    if note.author_id != actor.id:
        raise Forbidden("You can only edit your own notes.")
    if note.is_retracted:
        raise Refused("A retracted note cannot be edited.")


def edit_note(actor: User, note: Note, text: str, pattern: str = DEFAULT_INCIDENT_PATTERN) -> Note:
    """Replace the text of one's own note; every earlier version stays readable."""
    text = clean_text(text)
    check_can_edit(actor, note)
    if text == note.text:
        return note
    with write_transaction():
        now = utcnow()
        versions = len(note.versions)
        if versions == 0:  # the text as first posted is kept as version 1 at the first edit
            first = NoteVersion(
                note_id=note.id, version=1, text=note.text, written_at=note.posted_at
            )
            db.session.add(first)
            versions = 1
        before = {m.user.username for m in note.mentions}
        db.session.add(
            NoteVersion(note_id=note.id, version=versions + 1, text=text, written_at=now)
        )
        note.text, note.edited_at = text, now
        tags.detach_tags(note)
        db.session.execute(delete(Mention).where(Mention.note_id == note.id))
        db.session.execute(delete(IncidentRef).where(IncidentRef.note_id == note.id))
        db.session.flush()
        db.session.expire(note, ["mentions", "versions"])
        _derive(note, actor, pattern, already_mentioned=before)
        timelines.deliver(note, again=True)
        outbox.enqueue([note.id])
    return note


# How long the person who retracted a note may take it back ("Undo").
UNDO_WINDOW = timedelta(minutes=5)


def check_can_retract(actor: User, note: Note) -> None:
    if note.author_id != actor.id and actor.role != "admin":
        raise Forbidden("You can only retract your own notes.")


def retract_note(actor: User, note: Note) -> None:
    """Hide a note from every feed. Its text stays for audit; authors and admins may retract."""
    check_can_retract(actor, note)
    if note.is_retracted:
        return
    with write_transaction():
        tags.uncount_note(note)
        note.retracted_at, note.retracted_by_id = utcnow(), actor.id
        db.session.flush()
        outbox.enqueue([note.id])
        notifications.recount(notifications.notified_about(note))


def may_undo_retraction(
    actor: User | None, retracted_at: datetime | None, retracted_by_id: int | None, now=None
) -> bool:
    """Whether `actor` may still take back a retraction: the one who retracted it, within
    UNDO_WINDOW (after that the retraction stands; the text stays for audit)."""
    if actor is None or retracted_at is None or retracted_by_id != actor.id:
        return False
    return (now or utcnow()) - retracted_at <= UNDO_WINDOW


def restore_note(actor: User, note: Note) -> None:
    """Undo a retraction: the note is back in every feed, count and search as it was (its
    earlier versions untouched)."""
    if not note.is_retracted:
        return
    if note.retracted_by_id != actor.id:
        raise Forbidden("Only who retracted a note can undo it.")
    if not may_undo_retraction(actor, note.retracted_at, note.retracted_by_id):
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        raise Refused(f"Too late: a retraction can be undone within {minutes} minutes.")
    with write_transaction():
        note.retracted_at, note.retracted_by_id = None, None
        db.session.flush()
        tags.count_note_again(note)
        outbox.enqueue([note.id])
        notifications.recount(notifications.notified_about(note))


def replies(note: Note, viewer: User | None) -> list[Note]:
    """The thread under `note`, oldest first; retracted replies stay as stubs."""
    root = note.thread_id or note.id
    rows = db.session.scalars(
        select(Note)
        .where((Note.thread_id == root) | (Note.id == root))
        .order_by(Note.sort_at, Note.id)
    )
    return [n for n in rows if can_see_note(viewer, n)]
