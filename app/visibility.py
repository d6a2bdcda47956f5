"""Who may see which note: one rule, used by every feed, page, count, search and export.

Retracted notes are hidden from everyone's feeds (kept for audit). Restricted incidents
will narrow this further; every query that lists notes goes through `visible_notes_clause`.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from app.models import Note, User


def visible_notes_clause(viewer: User | None) -> ColumnElement[bool]:
    """A WHERE clause on `Note` that keeps the notes `viewer` may see in a feed."""
    return Note.retracted_at.is_(None)


def can_see_note(viewer: User | None, note: Note) -> bool:
    """Whether `viewer` may open `note` itself (a retracted note shows as a stub)."""
    return viewer is not None
