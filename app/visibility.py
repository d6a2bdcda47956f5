"""Who may see which note: one rule, used by every feed, page, count, search and export.

A note is hidden from everyone's feeds once retracted (kept for audit), and a note
written in a restricted incident (security) is visible only to that incident's members
and to admins. Every query that lists or counts notes goes through
`visible_notes_clause`; its bind parameters (`viewer_id`, `viewer_is_admin`) carry the
viewer, so a statement built once can be reused for anyone by passing new values.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ColumnElement, Integer, and_, bindparam, exists, or_, true

from app.models import Incident, IncidentMember, Note, User


def viewer_params(viewer: User | None) -> dict[str, object]:
    """The values of the clause's bind parameters for `viewer` (None: the public count)."""
    return {
        "viewer_id": viewer.id if viewer else None,
        "viewer_is_admin": bool(viewer and viewer.role == "admin"),
    }


def visible_notes_clause(viewer: User | None) -> ColumnElement[bool]:
    """A WHERE clause on `Note` that keeps the notes `viewer` may see in a feed."""
    values = viewer_params(viewer)
    viewer_id = bindparam("viewer_id", values["viewer_id"], type_=Integer())
    is_admin = bindparam("viewer_is_admin", values["viewer_is_admin"], type_=Boolean())
    member = exists().where(
        IncidentMember.incident_id == Incident.id, IncidentMember.user_id == viewer_id
    )
    hidden = exists().where(Incident.id == Note.incident_id, Incident.restricted, ~member)
    return and_(Note.retracted_at.is_(None), or_(Note.incident_id.is_(None), is_admin, ~hidden))


def visible_incidents_clause(viewer: User) -> ColumnElement[bool]:
    """A WHERE clause on `Incident`: all but restricted ones `viewer` is not a member of."""
    if viewer.role == "admin":
        return true()
    member = exists().where(
        IncidentMember.incident_id == Incident.id, IncidentMember.user_id == viewer.id
    )
    return or_(Incident.restricted.is_(False), member)


def can_see_note(viewer: User | None, note: Note) -> bool:
    """Whether `viewer` may open `note` itself (a retracted note shows as a stub)."""
    if viewer is None:
        return False
    if note.incident_id is None:
        return True
    from app import incidents
    from app.extensions import db

    return incidents.can_see(viewer, db.session.get(Incident, note.incident_id))


def counts_as_reply(public: bool, incident_id: int | None, parent_incident_id: int | None) -> bool:
    """Whether a reply counts in its parent's reply count, which all who see the parent
    see: a reply that names a restricted incident the public parent is not on does not."""
    return public or incident_id == parent_incident_id


def is_public(note: Note) -> bool:
    """Whether everyone may see the note (what public counts such as tag pages count)."""
    if note.retracted_at is not None:
        return False
    if note.incident_id is None:
        return True
    from app.extensions import db

    return not db.session.get(Incident, note.incident_id).restricted
