"""The search outbox: which notes' index documents must be written again.

A change to a note (posted, edited, retracted) or to what its document carries from its
incident (service, priority) queues the note here in the same database transaction, so a
change that is committed is never forgotten by the index and a change that is rolled back
never reaches it. Posting waits on nothing but this one insert; the index writer
(`app.search.index.apply_outbox`) applies the queue in order, in the background.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, literal, select

from app.database import insert_rows
from app.extensions import db
from app.models import Note, SearchOutbox, utcnow


def enqueue(note_ids: Iterable[int]) -> None:
    """Queue these notes (call inside the transaction that changes them)."""
    now = utcnow()
    rows = [{"note_id": note_id, "queued_at": now} for note_id in note_ids]
    insert_rows(SearchOutbox, rows)


def enqueue_incident(incident_id: int) -> None:
    """Queue every note of an incident (its service or priority changed)."""
    notes = select(Note.id, literal(utcnow(), SearchOutbox.queued_at.type)).where(
        Note.incident_id == incident_id
    )
    db.session.execute(
        insert(SearchOutbox).from_select([SearchOutbox.note_id, SearchOutbox.queued_at], notes)
    )
