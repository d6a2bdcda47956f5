"""Incident checklists: the steps an incident model lists, copied onto each incident it
pre-fills, each tick an event."""

from __future__ import annotations

from sqlalchemy import select

from app.clock import utcnow
from app.database import write_transaction
from app.errors import NotFound
from app.extensions import db
from app.incidents.history import log_change
from app.incidents.team import require_worker
from app.models import ChecklistItem, Incident, IncidentModel, User

MAX_CHECKLIST_STEPS, MAX_STEP_LENGTH = 30, 300


def checklist_steps(text: str | None) -> list[str]:
    """The steps of a checklist written one a line (blank lines and bullets dropped)."""
    lines = (line.strip().lstrip("-*•").strip() for line in (text or "").splitlines())
    return [line for line in lines if line]


def copy_checklist(incident: Incident, model: IncidentModel) -> None:
    for position, step in enumerate(checklist_steps(model.checklist)):
        db.session.add(ChecklistItem(incident_id=incident.id, position=position, text=step))


def checklist(incident: Incident) -> list[ChecklistItem]:
    query = select(ChecklistItem).where(ChecklistItem.incident_id == incident.id)
    return list(db.session.scalars(query.order_by(ChecklistItem.position)))


def tick(actor: User, incident: Incident, item_id: int, done: bool) -> None:
    """Mark a checklist step done (or not done after all); either is an event."""
    require_worker(actor)
    item = db.session.get(ChecklistItem, item_id)
    if item is None or item.incident_id != incident.id:
        raise NotFound("That checklist step is not on this incident.")
    if (item.done_at is not None) == done:
        return
    with write_transaction():
        item.done_at, item.done_by_id = (utcnow(), actor.id) if done else (None, None)
        log_change(
            incident, actor, "checklist", None, ("done: " if done else "not done: ") + item.text
        )
