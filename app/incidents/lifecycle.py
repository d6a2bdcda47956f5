"""An incident's status moves, the ITIL 4 way (the moves themselves are in `app.itil`):
start, hold, resolve, close, reopen, cancel, acknowledge; a parent's resolution carried
to its children."""

from __future__ import annotations

from app.clock import utcnow
from app.database import write_transaction
from app.errors import Refused
from app.extensions import db
from app.incidents.family import open_children
from app.incidents.history import log_change
from app.incidents.team import require_worker
from app.itil import RESOLUTION_CODES, check_move
from app.models import Incident, User


def move(
    actor: User,
    incident: Incident,
    status: str,
    *,
    reason: str | None = None,
    resolution_code: str | None = None,
    resolution_notes: str | None = None,
    with_children: bool = False,
) -> None:
    """Move an incident to `status` if ITIL allows it from where it is (resolving or
    closing a parent `with_children` resolves its open children too, all or nothing)."""
    require_worker(actor)
    check_move(incident.number, incident.status, status)
    if status == "on_hold" and not (reason or "").strip():
        raise Refused("Say why the incident is on hold (waiting for the caller, a vendor…).")
    if status == "resolved":
        if resolution_code not in RESOLUTION_CODES:
            raise Refused("Choose a resolution code: " + "; ".join(RESOLUTION_CODES) + ".")
        if not (resolution_notes or "").strip():
            raise Refused("Resolution notes say what fixed it; they cannot be empty.")
    now = utcnow()
    with write_transaction():
        # Checked again on the row as it is now, locked until commit: someone may have
        # moved it since this request read it (closed it, say, which is final).
        db.session.flush()  # a move earlier in the same transaction counts
        db.session.refresh(incident, with_for_update=True)
        check_move(incident.number, incident.status, status)
        old = incident.status
        incident.status = status
        if status == "on_hold":
            incident.on_hold_reason = reason.strip()
            log_change(incident, actor, "on_hold_reason", None, incident.on_hold_reason, now)
        if status == "in_progress" and incident.acknowledged_at is None:
            incident.acknowledged_at = now
        if status == "resolved":
            incident.resolved_at = now
            incident.resolution_code, incident.resolution_notes = resolution_code, resolution_notes
        if status == "in_progress" and old == "resolved":  # reopened
            incident.resolved_at = None
        if status == "closed":
            incident.closed_at = now
        log_change(incident, actor, "status", old, status, now)
        if with_children and status in ("resolved", "closed"):
            resolve_children(actor, incident, incident.resolution_code, incident.resolution_notes)


def acknowledge(actor: User, incident: Incident) -> None:
    """Someone has picked it up: the respond-by clock stops (and a new incident starts work)."""
    if incident.status == "new":
        move(actor, incident, "in_progress")
        return
    require_worker(actor)
    if incident.acknowledged_at is None:
        with write_transaction():
            incident.acknowledged_at = utcnow()
            log_change(incident, actor, "acknowledged", None, "yes")


def resolve_children(
    actor: User, parent: Incident, resolution_code: str | None, resolution_notes: str | None
) -> list[Incident]:
    """Resolve the parent's open children that `actor` may see with its resolution ("many
    reports, one incident"): all of them or, if one may not move, none. New ones are
    started first. A restricted child the actor is not on is left to its team."""
    resolved = open_children(parent, actor)
    with write_transaction():
        for child in resolved:
            if child.status == "new":
                move(actor, child, "in_progress")
            move(
                actor,
                child,
                "resolved",
                resolution_code=resolution_code,
                resolution_notes=resolution_notes or f"Resolved with {parent.number}.",
            )
    return resolved
