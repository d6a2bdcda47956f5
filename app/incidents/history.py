"""An incident's history: every change is an event (who, what, old → new, when), shown on
its timeline interleaved with its notes."""

from __future__ import annotations

from sqlalchemy import select

from app import visibility
from app.clock import utcnow
from app.extensions import db
from app.models import Incident, IncidentEvent, User

# Events whose values name another incident: shown only to who may see that one too.
LINK_FIELDS = ("parent", "child")


def log_change(incident: Incident, actor: User | None, field: str, old, new, at=None) -> None:
    db.session.add(
        IncidentEvent(
            incident_id=incident.id,
            actor_id=actor.id if actor else None,
            at=at or utcnow(),
            field=field,
            old=None if old is None else str(old),
            new=None if new is None else str(new),
        )
    )


def events(incident: Incident, viewer: User | None = None) -> list[IncidentEvent]:
    """The incident's changes, oldest first; with `viewer`, those naming an incident the
    viewer may not see (a restricted parent or child) are left out."""
    query = select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
    found = list(db.session.scalars(query.order_by(IncidentEvent.at, IncidentEvent.id)))
    if viewer is None:
        return found
    return visibility.events_naming_visible(viewer, found, LINK_FIELDS)
