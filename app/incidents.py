"""Incident records the ITIL 4 way: registration, status moves, ownership, priority, teams.

Every change goes through a function here, which checks who may make it, refuses an
illegal one with a clear message, and logs it as an event on the incident's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.config import DEFAULT_PRIORITY_MATRIX, DEFAULT_SLA_TARGETS
from app.database import write_transaction
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.models import (
    MEMBER_ROLES,
    ChecklistItem,
    Follow,
    Incident,
    IncidentEvent,
    IncidentMember,
    IncidentModel,
    Service,
    User,
    utcnow,
)
from app.search import outbox
from app.text import is_valid_tag_name
from app.visibility import visible_incidents_clause

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
NUMBER_PREFIX, NUMBER_DIGITS = "INC", 7


def priority_for(impact: int, urgency: int, matrix=None) -> int:
    """P1 (highest) to P5 from impact and urgency, each 1 (high) to 3 (low), by `matrix`
    or the app's `I2I_PRIORITY_MATRIX`."""
    check_scale("Impact", impact)
    check_scale("Urgency", urgency)
    matrix = matrix or _setting("I2I_PRIORITY_MATRIX", DEFAULT_PRIORITY_MATRIX)
    return matrix[impact - 1][urgency - 1]


def sla_targets() -> dict[int, tuple[timedelta, timedelta]]:
    """Respond-by and resolve-by per priority (`I2I_SLA_TARGETS`)."""
    return _setting("I2I_SLA_TARGETS", DEFAULT_SLA_TARGETS)


def _setting(name: str, default):
    """A setting of the running app; plain-data callers (the simulator) get the default."""
    from flask import current_app, has_app_context

    return current_app.config.get(name, default) if has_app_context() else default


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


def update_fields(
    actor: User, incident: Incident, values: dict, at: datetime | None = None
) -> bool:
    """Set the fields of `values` (column names) that differ, one event each, people named
    by username; returns whether any changed (imports of later versions of a record).
    The notes' search documents carry the service, priority and restriction."""
    changed = {key: value for key, value in values.items() if getattr(incident, key) != value}
    for key, value in changed.items():
        old = getattr(incident, key)
        setattr(incident, key, value)
        field = key
        if key.endswith("_id") and key != "model_id":  # owner_id, reporter_id: a person
            field, old, value = key.removesuffix("_id"), _username(old), _username(value)
        log_change(incident, actor, field, old, value, at=at)
    if changed.keys() & {"service", "priority", "restricted"}:
        outbox.enqueue_incident(incident.id)
    return bool(changed)


def _username(user_id: int | None) -> str | None:
    return db.session.scalar(select(User.username).where(User.id == user_id)) if user_id else None


def _require_worker(actor: User) -> None:
    if not can_work(actor):
        raise Forbidden("Only responders, managers and admins work incidents.")


def register(
    actor: User,
    *,
    title: str,
    impact: int | None = None,
    urgency: int | None = None,
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
    """Register an incident; its owner is the registrant unless someone else is named.

    An incident model fills in what is not given (service, category, impact, urgency; low
    impact and urgency otherwise) and gives the incident its checklist."""
    _require_worker(actor)
    title = (title or "").strip()
    if not title:
        raise Refused("An incident needs a title.")
    if len(title) > 200:
        raise Refused("An incident title is at most 200 characters.")
    if owner is not None and (not can_work(owner) or not owner.is_active):
        raise Refused(f"@{owner.username} cannot own incidents.")
    if model is not None:
        service, category = service or model.service, category or model.category
        subcategory = subcategory or model.subcategory
        impact, urgency = impact or model.impact, urgency or model.urgency
    impact, urgency = impact or 3, urgency or 3
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
                log_change(incident, actor, "registered", None, incident.number)
                _join(incident, actor, "commander", actor=actor)
                if owner is not None and owner.id != actor.id:
                    _join(incident, owner, "member")
                if model is not None:
                    _copy_checklist(incident, model)
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
    with_children: bool = False,
) -> None:
    """Move an incident to `status` if ITIL allows it from where it is (resolving or
    closing a parent `with_children` resolves its open children too, all or nothing)."""
    _require_worker(actor)
    if status not in MOVES:
        raise Refused(f"Unknown status {status!r}.")
    _check_move(incident, status)
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
        _check_move(incident, status)
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


def _check_move(incident: Incident, status: str) -> None:
    if status not in MOVES[incident.status]:
        allowed = ", ".join(sorted(MOVES[incident.status])) or "none: it is final"
        raise Refused(
            f"{incident.number} is {incident.status.replace('_', ' ')}; it cannot move to "
            f"{status.replace('_', ' ')} (allowed: {allowed.replace('_', ' ')})."
        )


def acknowledge(actor: User, incident: Incident) -> None:
    """Someone has picked it up: the respond-by clock stops (and a new incident starts work)."""
    if incident.status == "new":
        move(actor, incident, "in_progress")
        return
    _require_worker(actor)
    if incident.acknowledged_at is None:
        with write_transaction():
            incident.acknowledged_at = utcnow()
            log_change(incident, actor, "acknowledged", None, "yes")


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
        log_change(incident, actor, "owner", old, owner.username)
        _join(incident, owner, "member")


def set_impact_urgency(actor: User, incident: Incident, impact: int, urgency: int) -> None:
    _require_worker(actor)
    priority = priority_for(impact, urgency)
    with write_transaction():
        if (incident.impact, incident.urgency) != (impact, urgency):
            old = f"P{incident.priority} (impact {incident.impact}, urgency {incident.urgency})"
            incident.impact, incident.urgency, incident.priority = impact, urgency, priority
            outbox.enqueue_incident(incident.id)
            log_change(
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
        log_change(incident, actor, "workaround", old, text)


def set_major(actor: User, incident: Incident, major: bool, manager: User | None = None) -> None:
    """Declare (or stand down) a major incident, with a major-incident manager."""
    if not actor.has_role("manager") and not (major and can_work(actor)):
        raise Forbidden("Only managers and admins stand a major incident down.")
    manager = manager or actor
    if major and not can_work(manager):
        raise Refused(f"@{manager.username} cannot manage a major incident (responders, managers).")
    with write_transaction():
        if incident.major != major:
            log_change(
                incident,
                actor,
                "major",
                "yes" if incident.major else "no",
                "yes" if major else "no",
            )
        incident.major = major
        if major and incident.major_manager_id != manager.id:
            log_change(incident, actor, "major_manager", None, manager.username)
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
        log_change(child, actor, "parent", old, parent.number)
        log_change(parent, actor, "child", None, child.number)


def children(incident: Incident) -> list[Incident]:
    query = select(Incident).where(Incident.parent_id == incident.id).order_by(Incident.number)
    return list(db.session.scalars(query))


def open_children(incident: Incident) -> list[Incident]:
    return [child for child in children(incident) if child.status in OPEN]


def resolve_children(
    actor: User, parent: Incident, resolution_code: str | None, resolution_notes: str | None
) -> list[Incident]:
    """Resolve the parent's open children with its resolution ("many reports, one
    incident"): all of them or, if one may not move, none. New ones are started first."""
    resolved = open_children(parent)
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
    _require_worker(actor)
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


MAX_CHECKLIST_STEPS, MAX_STEP_LENGTH = 30, 300


def _copy_checklist(incident: Incident, model: IncidentModel) -> None:
    for position, step in enumerate(checklist_steps(model.checklist)):
        db.session.add(ChecklistItem(incident_id=incident.id, position=position, text=step))


def checklist_steps(text: str | None) -> list[str]:
    """The steps of a checklist written one a line (blank lines and bullets dropped)."""
    lines = (line.strip().lstrip("-*•").strip() for line in (text or "").splitlines())
    return [line for line in lines if line]


def checklist(incident: Incident) -> list[ChecklistItem]:
    query = select(ChecklistItem).where(ChecklistItem.incident_id == incident.id)
    return list(db.session.scalars(query.order_by(ChecklistItem.position)))


def tick(actor: User, incident: Incident, item_id: int, done: bool) -> None:
    """Mark a checklist step done (or not done after all); either is an event."""
    _require_worker(actor)
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


def incident_models() -> list[IncidentModel]:
    return list(db.session.scalars(select(IncidentModel).order_by(IncidentModel.name)))


def get_model(model_id: int | None) -> IncidentModel | None:
    if model_id is None:
        return None
    model = db.session.get(IncidentModel, model_id)
    if model is None:
        raise NotFound("There is no such incident model.")
    return model


def save_model(
    actor: User,
    model: IncidentModel | None = None,
    *,
    name: str,
    category: str | None = None,
    subcategory: str | None = None,
    service: str | None = None,
    impact: int | None = None,
    urgency: int | None = None,
    checklist: str | None = None,
    default_tags: str | None = None,
) -> IncidentModel:
    """Create (or change) an incident model, the template that pre-fills new incidents."""
    if actor.role != "admin":
        raise Forbidden("Only admins keep incident models.")
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise Refused("An incident model needs a name of at most 120 characters.")
    for scale, value in (("Impact", impact), ("Urgency", urgency)):
        if value is not None:
            check_scale(scale, value)
    steps = checklist_steps(checklist)
    if len(steps) > MAX_CHECKLIST_STEPS or any(len(s) > MAX_STEP_LENGTH for s in steps):
        raise Refused(
            f"A checklist has at most {MAX_CHECKLIST_STEPS} steps of {MAX_STEP_LENGTH} "
            "characters, one a line."
        )
    tags = _tag_list(default_tags)
    clash = db.session.scalar(select(IncidentModel).where(IncidentModel.name == name))
    if clash is not None and clash is not model:
        raise Refused(f"There is already an incident model called {name!r}.")
    with write_transaction():
        model = model or IncidentModel()
        model.name, model.category, model.subcategory = name, category, subcategory
        model.service, model.impact, model.urgency = service, impact, urgency
        model.checklist = "\n".join(steps) or None
        model.default_tags = " ".join(tags) or None
        db.session.add(model)
    return model


def _tag_list(text: str | None) -> list[str]:
    """Default tags as typed ("#vpn remote, #Citrix") → ["#vpn", "#remote", "#Citrix"]."""
    names = [w.lstrip("#＃") for w in (text or "").replace(",", " ").split()]
    for name in names:
        if not is_valid_tag_name(name):
            raise Refused(f"#{name} is not a hashtag (letters, digits and _; one letter at least).")
    if len(names) > 10:
        raise Refused("An incident model has at most 10 default tags.")
    return ["#" + name for name in dict.fromkeys(names)]


def service_named(name: str, *, create: bool = False) -> Service | None:
    """The service called `name` (created when someone first follows it)."""
    name = (name or "").strip()
    service = db.session.scalar(select(Service).where(Service.name == name))
    if service is None and create:
        if not name or len(name) > 120:
            raise Refused("Name the service to follow.")
        with write_transaction():
            service = Service(name=name)
            db.session.add(service)
    return service


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


def sla(incident: Incident, now: datetime | None = None, targets=None) -> SlaClock:
    """The SLA clocks: they start at registration and stop at acknowledgement/resolution."""
    now = now or utcnow()
    respond, resolve = (targets or sla_targets())[incident.priority]
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
    target = sla_targets()[incident.priority][1]
    return clock.resolve_left < target * share


def warn_sla(now: datetime | None = None, share: float = 0.25) -> int:
    """Notify who follows an open incident (or its service), and its owner, once it has
    less than `share` of its respond-by or resolve-by time left; returns how many were
    notified. Run every minute by the background jobs; never twice for the same clock."""
    from app import notifications

    now = now or utcnow()
    longest = max(resolve for _, resolve in sla_targets().values())
    recent = select(Incident).where(
        Incident.status.in_(OPEN), Incident.registered_at >= now - longest * (1 + share)
    )
    sent = 0
    with write_transaction():
        for incident in db.session.scalars(recent):
            for kind in _closing_clocks(incident, now, share):
                for user_id in _watchers(incident):
                    sent += notifications.notify_about_incident(user_id, kind, incident)
    return sent


def _closing_clocks(incident: Incident, now: datetime, share: float) -> list[str]:
    """Which clocks ("sla_respond", "sla_resolve") are running and nearly out of time."""
    clock = sla(incident, now)
    respond, resolve = sla_targets()[incident.priority]
    closing = []
    if not clock.responded and -respond * share < clock.respond_left < respond * share:
        closing.append("sla_respond")
    if not clock.resolved and -resolve * share < clock.resolve_left < resolve * share:
        closing.append("sla_resolve")
    return closing


def _watchers(incident: Incident) -> set[int]:
    """The owner and everyone following the incident or its service who may see it."""
    followers = select(Follow.follower_id).where(
        Follow.target_type == "incident", Follow.target_id == incident.id
    )
    if incident.service:
        followers = followers.union(
            select(Follow.follower_id)
            .join(Service, Service.id == Follow.target_id)
            .where(Follow.target_type == "service", Service.name == incident.service)
        )
    watchers = set(db.session.scalars(followers)) | {incident.owner_id}
    users = db.session.scalars(select(User).where(User.id.in_(watchers), User.active))
    return {user.id for user in users if can_see(user, incident)}


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
