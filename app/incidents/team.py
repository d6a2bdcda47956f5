"""Who works incidents, and each incident's team (its "tailor-made team"), with roles.

Responders, managers and admins work incidents; designers and researchers read them.
"""

from __future__ import annotations

from sqlalchemy import exists, or_, select

from app import visibility
from app.database import write_transaction
from app.errors import Forbidden, Refused
from app.extensions import db
from app.incidents.history import log_change
from app.itil import OPEN
from app.models import MEMBER_ROLES, Incident, IncidentMember, User


def can_work(user: User) -> bool:
    """Responders, managers and admins work incidents; designers and researchers read."""
    return user.has_role("responder", "manager")


def require_worker(actor: User) -> None:
    if not can_work(actor):
        raise Forbidden("Only responders, managers and admins work incidents.")


def add_member(actor: User, incident: Incident, user: User, role: str = "member") -> None:
    require_worker(actor)
    if role not in MEMBER_ROLES:
        raise Refused(f"A team role is one of {', '.join(MEMBER_ROLES)}.")
    with write_transaction():
        join(incident, user, role, actor=actor)


def join(incident: Incident, user: User, role: str, actor: User | None = None) -> None:
    """Put `user` on the team with `role` (or change their role), logged as an event."""
    member = db.session.get(IncidentMember, (incident.id, user.id))
    if member is None:
        db.session.add(IncidentMember(incident_id=incident.id, user_id=user.id, role=role))
        log_change(incident, actor, "member", None, f"@{user.username} ({role})")
    elif member.role != role and actor is not None:
        log_change(
            incident,
            actor,
            "member",
            f"@{user.username} ({member.role})",
            f"@{user.username} ({role})",
        )
        member.role = role


def remove_member(actor: User, incident: Incident, user: User) -> None:
    """Take someone off the team (the owner stays on it: someone is responsible)."""
    require_worker(actor)
    if user.id == incident.owner_id:
        raise Refused(f"@{user.username} owns {incident.number}; hand it over first.")
    member = db.session.get(IncidentMember, (incident.id, user.id))
    if member is None:
        return
    with write_transaction():
        log_change(incident, actor, "member", f"@{user.username} ({member.role})", None)
        db.session.delete(member)


def members(incident: Incident) -> list[IncidentMember]:
    query = select(IncidentMember).where(IncidentMember.incident_id == incident.id)
    return sorted(
        db.session.scalars(query), key=lambda m: (MEMBER_ROLES.index(m.role), m.user.username)
    )


def worked_by(person: User, viewer: User, limit: int = 8) -> list[Incident]:
    """The incidents `person` owns or is on the team of, that `viewer` may see: open ones
    first, then the latest (what a person's page says they work on)."""
    on_team = exists().where(
        IncidentMember.incident_id == Incident.id, IncidentMember.user_id == person.id
    )
    query = (
        select(Incident)
        .where(
            or_(Incident.owner_id == person.id, on_team),
            visibility.visible_incidents_clause(viewer),
        )
        .order_by(Incident.status.not_in(OPEN), Incident.registered_at.desc(), Incident.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
