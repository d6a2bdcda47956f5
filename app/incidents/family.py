"""Parent and child incidents: many user reports, one incident that causes them.

A link is seen only by who may see both ends: a restricted child under a public parent
(or a public child under a restricted parent) leaves no trace for outsiders on the other
one's page, events or actions.
"""

from __future__ import annotations

from sqlalchemy import select

from app import visibility
from app.database import write_transaction
from app.errors import Refused
from app.extensions import db
from app.incidents.history import log_change
from app.incidents.team import require_worker
from app.itil import OPEN
from app.models import Incident, User


def link_parent(actor: User, child: Incident, parent: Incident) -> None:
    """Relate a user's incident to the one that causes it ("many reports, one incident")."""
    require_worker(actor)
    if child.id == parent.id:
        raise Refused("An incident cannot be its own parent.")
    ancestor = parent
    while ancestor is not None:
        if ancestor.id == child.id:
            raise Refused(f"{parent.number} is already under {child.number}.")
        ancestor = ancestor.parent
    with write_transaction():
        old = child.parent.number if child.parent else None
        child.parent_id = parent.id
        log_change(child, actor, "parent", old, parent.number)
        log_change(parent, actor, "child", None, child.number)


def parent_of(incident: Incident, viewer: User) -> Incident | None:
    """The incident's parent, if `viewer` may see it."""
    parent = incident.parent
    if parent is None or not visibility.can_see_incident(viewer, parent):
        return None
    return parent


def children(incident: Incident, viewer: User) -> list[Incident]:
    """The incident's children that `viewer` may see, by number."""
    query = (
        select(Incident)
        .where(Incident.parent_id == incident.id, visibility.visible_incidents_clause(viewer))
        .order_by(Incident.number)
    )
    return list(db.session.scalars(query))


def open_children(incident: Incident, viewer: User) -> list[Incident]:
    return [child for child in children(incident, viewer) if child.status in OPEN]
