"""Incident records the ITIL 4 way: registration, status moves, ownership, priority, teams.

Every change goes through a function here, which checks who may make it, refuses an
illegal one with a clear message, and logs it as an event on the incident's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, true
from sqlalchemy.exc import IntegrityError

from app.database import write_transaction
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.models import (
    MEMBER_ROLES,
    Incident,
    IncidentEvent,
    IncidentMember,
    IncidentModel,
    User,
    utcnow,
)

# Priority from impact × urgency, as ServiceNow ships it (rows: impact 1–3, columns: urgency).
DEFAULT_PRIORITY_MATRIX = ((1, 2, 3), (2, 3, 4), (3, 4, 5))
OPEN = ("new", "in_progress", "on_hold")
# Legal status moves (DESIGN §4): new → in_progress ↔ on_hold → resolved → closed;
# resolved may reopen; any open status may be cancelled.
MOVES = {
    "new": {"in_progress", "cancelled"},
    "in_progress": {"on_hold", "resolved", "cancelled"},
    "on_hold": {"in_progress", "resolved", "cancelled"},
    "resolved": {"closed", "in_progress"},
    "closed": set(),
    "cancelled": set(),
}
RESOLUTION_CODES = (
    "Solved (Work Around)",
    "Solved (Permanently)",
    "Solved Remotely (Work Around)",
    "Solved Remotely (Permanently)",
    "Not Solved (Not Reproducible)",
    "Not Solved (Too Costly)",
    "Closed/Resolved by Caller",
)
# Respond-by and resolve-by per priority (configurable through I2I_SLA_TARGETS).
DEFAULT_SLA = {
    1: (timedelta(minutes=15), timedelta(hours=4)),
    2: (timedelta(hours=1), timedelta(hours=8)),
    3: (timedelta(hours=4), timedelta(hours=24)),
    4: (timedelta(hours=8), timedelta(hours=72)),
    5: (timedelta(hours=24), timedelta(hours=120)),
}
NUMBER_PREFIX, NUMBER_DIGITS = "INC", 7


def priority_for(impact: int, urgency: int, matrix=DEFAULT_PRIORITY_MATRIX) -> int:
    """P1 (highest) to P5 from impact and urgency, each 1 (high) to 3 (low)."""
    check_scale("Impact", impact)
    check_scale("Urgency", urgency)
    return matrix[impact - 1][urgency - 1]


def check_scale(name: str, value: int) -> int:
    if value not in (1, 2, 3):
        raise Refused(f"{name} is 1 (high), 2 (medium) or 3 (low).")
    return value


def can_work(user: User) -> bool:
    """Responders, managers and admins work incidents; designers and researchers read."""
    return user.has_role("responder", "manager")


def can_see(viewer: User | None, incident: Incident) -> bool:
    """Restricted incidents (security) are visible to their members and admins only."""
    if viewer is None:
        return False
    if not incident.restricted or viewer.role == "admin":
        return True
    return is_member(viewer, incident)


def is_member(user: User, incident: Incident) -> bool:
    query = select(IncidentMember.user_id).where(
        IncidentMember.incident_id == incident.id, IncidentMember.user_id == user.id
    )
    return db.session.scalar(query) is not None


def get_incident(number: str, viewer: User | None) -> Incident:
    incident = db.session.scalar(select(Incident).where(Incident.number == number.upper()))
    if incident is None or not can_see(viewer, incident):
        raise NotFound(f"There is no incident {number} you can see.")
    return incident


def next_number() -> str:
    width = len(NUMBER_PREFIX) + NUMBER_DIGITS
    latest = db.session.scalar(
        select(func.max(Incident.number)).where(
            Incident.number.like(NUMBER_PREFIX + "%"), func.length(Incident.number) == width
        )
    )
    following = int(latest[len(NUMBER_PREFIX) :]) + 1 if latest else 1
    return f"{NUMBER_PREFIX}{following:0{NUMBER_DIGITS}d}"


def _log(incident: Incident, actor: User | None, field: str, old, new, at=None) -> None:
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


def _require_worker(actor: User) -> None:
    if not can_work(actor):
        raise Forbidden("Only responders, managers and admins work incidents.")


def register(
    actor: User,
    *,
    title: str,
    impact: int = 3,
    urgency: int = 3,
    description: str | None = None,
    service: str | None = None,
    category: str | None = None,
    subcategory: str | None = None,
    assignment_group: str | None = None,
    owner: User | None = None,
    model: IncidentModel | None = None,
    detected_at: datetime | None = None,
    restricted: bool = False,
    source: str = "manual",
) -> Incident:
    """Register an incident; its owner is the registrant unless someone else is named."""
    _require_worker(actor)
    title = (title or "").strip()
    if not title:
        raise Refused("An incident needs a title.")
    if len(title) > 200:
        raise Refused("An incident title is at most 200 characters.")
    if model is not None:
        service, category = service or model.service, category or model.category
        subcategory = subcategory or model.subcategory
        impact, urgency = model.impact or impact, model.urgency or urgency
    priority = priority_for(impact, urgency)
    for attempt in range(3):  # two registrations may race for a number on PostgreSQL
        try:
            with write_transaction():
                incident = Incident(
                    number=next_number(),
                    title=title,
                    description=description,
                    service=service,
                    category=category,
                    subcategory=subcategory,
                    impact=impact,
                    urgency=urgency,
                    priority=priority,
                    status="new",
                    assignment_group=assignment_group,
                    owner_id=(owner or actor).id,
                    reporter_id=actor.id,
                    source=source,
                    restricted=restricted,
                    model_id=model.id if model else None,
                    detected_at=detected_at,
                    registered_at=utcnow(),
                    major=False,
                )
                db.session.add(incident)
                db.session.flush()
                _log(incident, actor, "registered", None, incident.number)
                _join(incident, actor, "commander", actor=actor)
            return incident
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def move(
    actor: User,
    incident: Incident,
    status: str,
    *,
    reason: str | None = None,
    resolution_code: str | None = None,
    resolution_notes: str | None = None,
) -> None:
    """Move an incident to `status` if ITIL allows it from where it is."""
    _require_worker(actor)
    if status not in MOVES:
        raise Refused(f"Unknown status {status!r}.")
    if status not in MOVES[incident.status]:
        allowed = ", ".join(sorted(MOVES[incident.status])) or "none: it is final"
        raise Refused(
            f"{incident.number} is {incident.status.replace('_', ' ')}; it cannot move to "
            f"{status.replace('_', ' ')} (allowed: {allowed.replace('_', ' ')})."
        )
    if status == "on_hold" and not (reason or "").strip():
        raise Refused("Say why the incident is on hold (waiting for the caller, a vendor…).")
    if status == "resolved":
        if resolution_code not in RESOLUTION_CODES:
            raise Refused("Choose a resolution code: " + "; ".join(RESOLUTION_CODES) + ".")
        if not (resolution_notes or "").strip():
            raise Refused("Resolution notes say what fixed it; they cannot be empty.")
    now = utcnow()
    with write_transaction():
        old = incident.status
        incident.status = status
        if status == "on_hold":
            incident.on_hold_reason = reason.strip()
            _log(incident, actor, "on_hold_reason", None, incident.on_hold_reason, now)
        if status == "in_progress" and incident.acknowledged_at is None:
            incident.acknowledged_at = now
        if status == "resolved":
            incident.resolved_at = now
            incident.resolution_code, incident.resolution_notes = resolution_code, resolution_notes
        if status == "in_progress" and old == "resolved":  # reopened
            incident.resolved_at = None
        if status == "closed":
            incident.closed_at = now
        _log(incident, actor, "status", old, status, now)


def acknowledge(actor: User, incident: Incident) -> None:
    """Someone has picked it up: the respond-by clock stops (and a new incident starts work)."""
    if incident.status == "new":
        move(actor, incident, "in_progress")
        return
    _require_worker(actor)
    if incident.acknowledged_at is None:
        with write_transaction():
            incident.acknowledged_at = utcnow()
            _log(incident, actor, "acknowledged", None, "yes")


def assign(actor: User, incident: Incident, owner: User) -> None:
    """Hand the incident to `owner`; someone is responsible at every moment."""
    _require_worker(actor)
    if not can_work(owner) or not owner.is_active:
        raise Refused(f"@{owner.username} cannot own incidents.")
    if incident.restricted and not is_member(owner, incident) and owner.role != "admin":
        raise Refused(f"@{owner.username} is not on this restricted incident's team.")
    if owner.id == incident.owner_id:
        return
    with write_transaction():
        old = incident.owner.username if incident.owner else None
        incident.owner_id = owner.id
        _log(incident, actor, "owner", old, owner.username)
        _join(incident, owner, "member")


def set_impact_urgency(actor: User, incident: Incident, impact: int, urgency: int) -> None:
    _require_worker(actor)
    priority = priority_for(impact, urgency)
    with write_transaction():
        if (incident.impact, incident.urgency) != (impact, urgency):
            old = f"P{incident.priority} (impact {incident.impact}, urgency {incident.urgency})"
            incident.impact, incident.urgency, incident.priority = impact, urgency, priority
            _log(
                incident,
                actor,
                "priority",
                old,
                f"P{priority} (impact {impact}, urgency {urgency})",
            )


def set_workaround(actor: User, incident: Incident, text: str) -> None:
    _require_worker(actor)
    text = (text or "").strip()
    if not text:
        raise Refused("Describe the workaround.")
    with write_transaction():
        old, incident.workaround = incident.workaround, text
        _log(incident, actor, "workaround", old, text)


def set_major(actor: User, incident: Incident, major: bool, manager: User | None = None) -> None:
    """Declare (or stand down) a major incident, with a major-incident manager."""
    if not actor.has_role("manager") and not (major and can_work(actor)):
        raise Forbidden("Only managers and admins stand a major incident down.")
    manager = manager or actor
    with write_transaction():
        if incident.major != major:
            _log(
                incident,
                actor,
                "major",
                "yes" if incident.major else "no",
                "yes" if major else "no",
            )
        incident.major = major
        if major and incident.major_manager_id != manager.id:
            _log(incident, actor, "major_manager", None, manager.username)
            incident.major_manager_id = manager.id
            _join(incident, manager, "commander")


def link_parent(actor: User, child: Incident, parent: Incident) -> None:
    """Relate a user's incident to the one that causes it ("many reports, one incident")."""
    _require_worker(actor)
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
        _log(child, actor, "parent", old, parent.number)
        _log(parent, actor, "child", None, child.number)


def children(incident: Incident) -> list[Incident]:
    query = select(Incident).where(Incident.parent_id == incident.id).order_by(Incident.number)
    return list(db.session.scalars(query))


def add_member(actor: User, incident: Incident, user: User, role: str = "member") -> None:
    _require_worker(actor)
    if role not in MEMBER_ROLES:
        raise Refused(f"A team role is one of {', '.join(MEMBER_ROLES)}.")
    with write_transaction():
        _join(incident, user, role, actor=actor)


def _join(incident: Incident, user: User, role: str, actor: User | None = None) -> None:
    member = db.session.get(IncidentMember, (incident.id, user.id))
    if member is None:
        db.session.add(IncidentMember(incident_id=incident.id, user_id=user.id, role=role))
        _log(incident, actor, "member", None, f"@{user.username} ({role})")
    elif member.role != role and actor is not None:
        _log(
            incident,
            actor,
            "member",
            f"@{user.username} ({member.role})",
            f"@{user.username} ({role})",
        )
        member.role = role


def members(incident: Incident) -> list[IncidentMember]:
    query = select(IncidentMember).where(IncidentMember.incident_id == incident.id)
    return sorted(
        db.session.scalars(query), key=lambda m: (MEMBER_ROLES.index(m.role), m.user.username)
    )


@dataclass(frozen=True)
class SlaClock:
    """Respond-by and resolve-by for an incident at a moment: time left, or breached."""

    respond_by: datetime
    resolve_by: datetime
    responded: bool
    resolved: bool
    respond_left: timedelta
    resolve_left: timedelta

    @property
    def respond_breached(self) -> bool:
        return self.respond_left < timedelta(0)

    @property
    def resolve_breached(self) -> bool:
        return self.resolve_left < timedelta(0)


def sla(incident: Incident, now: datetime | None = None, targets=DEFAULT_SLA) -> SlaClock:
    """The SLA clocks: they start at registration and stop at acknowledgement/resolution."""
    now = now or utcnow()
    respond, resolve = targets[incident.priority]
    start = incident.registered_at
    responded_at = incident.acknowledged_at
    resolved_at = incident.resolved_at or (
        incident.closed_at if incident.status == "closed" else None
    )
    return SlaClock(
        respond_by=start + respond,
        resolve_by=start + resolve,
        responded=responded_at is not None,
        resolved=resolved_at is not None,
        respond_left=start + respond - (responded_at or now),
        resolve_left=start + resolve - (resolved_at or now),
    )


def events(incident: Incident) -> list[IncidentEvent]:
    query = select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
    return list(db.session.scalars(query.order_by(IncidentEvent.at, IncidentEvent.id)))


def visible_incidents_clause(viewer: User):
    """Incidents `viewer` may see: all but restricted ones they are not a member of."""
    if viewer.role == "admin":
        return true()
    member = exists().where(
        IncidentMember.incident_id == Incident.id, IncidentMember.user_id == viewer.id
    )
    return or_(Incident.restricted.is_(False), member)


SORTS = {
    "priority": (Incident.priority, Incident.registered_at.desc()),
    "newest": (Incident.registered_at.desc(),),
    "oldest": (Incident.registered_at,),
}


def search_incidents(
    viewer: User,
    *,
    status: str = "",
    priority: str = "",
    service: str = "",
    major: str = "",
    mine: str = "",
    risk: str = "",
    sort: str = "",
    limit: int = 200,
) -> list[Incident]:
    """The incident list a manager filters: open ones by default, most urgent first."""
    query = select(Incident).where(visible_incidents_clause(viewer))
    if status == "open" or not status:
        query = query.where(Incident.status.in_(OPEN))
    elif status != "all":
        query = query.where(Incident.status == status)
    if priority.isdigit():
        query = query.where(Incident.priority == int(priority))
    if service:
        query = query.where(Incident.service == service)
    if major == "yes":
        query = query.where(Incident.major.is_(True))
    if mine == "yes":
        query = query.where(Incident.owner_id == viewer.id)
    query = query.order_by(*SORTS.get(sort, SORTS["priority"]), Incident.id.desc())
    found = list(db.session.scalars(query.limit(limit if risk != "yes" else None)))
    if risk == "yes":
        now = utcnow()
        found = [incident for incident in found if at_risk(incident, now)][:limit]
    return found


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # "note" or "event"
    item: object


def timeline(incident: Incident, viewer: User) -> list[TimelineItem]:
    """Notes and changes in one stream, ordered by when they happened."""
    from app.models import Note
    from app.visibility import viewer_params, visible_notes_clause

    note_query = select(Note).where(Note.incident_id == incident.id, visible_notes_clause(viewer))
    written = db.session.scalars(note_query, viewer_params(viewer))
    items = [TimelineItem(n.sort_at, "note", n) for n in written]
    items += [TimelineItem(e.at, "event", e) for e in events(incident)]
    return sorted(items, key=lambda i: (i.at, i.kind == "note"))


def response_metrics(viewer: User, start: datetime, end: datetime, by: str):
    """MTTA and MTTR per priority or service for incidents registered in [start, end)."""
    from insights.frames import incidents_frame
    from insights.incident_metrics import response_times

    if by not in ("priority", "service"):
        raise Refused("Group by priority or service.")
    if end <= start:
        raise Refused("The period ends before it starts.")
    visible = db.session.scalars(select(Incident.id).where(visible_incidents_clause(viewer)))
    frame = incidents_frame(db.session.connection(), start, end, incident_ids=visible)
    return response_times(frame, by)


def at_risk(incident: Incident, now: datetime | None = None, share: float = 0.25) -> bool:
    """Open, and breached or with less than `share` of its resolve-by time left."""
    if incident.status not in OPEN:
        return False
    clock = sla(incident, now)
    target = DEFAULT_SLA[incident.priority][1]
    return clock.resolve_left < target * share


def major_board(viewer: User) -> list[Incident]:
    """Open major incidents, most urgent first: the incident managers' board."""
    query = (
        select(Incident)
        .where(
            visible_incidents_clause(viewer), Incident.major.is_(True), Incident.status.in_(OPEN)
        )
        .order_by(Incident.priority, Incident.registered_at)
    )
    return list(db.session.scalars(query))
