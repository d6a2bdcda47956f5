"""Incident records: registering one, finding one, and changing its fields. Each change
checks who may make it, refuses an illegal one with a clear message, and is logged as an
event on the incident's timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import visibility
from app.clock import utcnow
from app.database import write_transaction
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.incidents.checklists import copy_checklist
from app.incidents.history import log_change
from app.incidents.team import can_work, join, require_worker
from app.itil import DEFAULT_POLICY, Policy
from app.models import Incident, IncidentModel, Service, User
from app.search import outbox

NUMBER_PREFIX, NUMBER_DIGITS = "INC", 7
MAX_TITLE = 200


def get_incident(number: str, viewer: User | None) -> Incident:
    incident = db.session.scalar(select(Incident).where(Incident.number == number.upper()))
    if incident is None or not visibility.can_see_incident(viewer, incident):
        raise NotFound(f"There is no incident {number[:40]} you can see.")
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
    policy: Policy = DEFAULT_POLICY,
) -> Incident:
    """Register an incident; its owner is the registrant unless someone else is named.

    An incident model fills in what is not given (service, category, impact, urgency; low
    impact and urgency otherwise) and gives the incident its checklist."""
    require_worker(actor)
    title = (title or "").strip()
    if not title:
        raise Refused("An incident needs a title.")
    if len(title) > MAX_TITLE:
        raise Refused(f"An incident title is at most {MAX_TITLE} characters.")
    if owner is not None and (not can_work(owner) or not owner.is_active):
        raise Refused(f"@{owner.username} cannot own incidents.")
    if model is not None:
        service, category = service or model.service, category or model.category
        subcategory = subcategory or model.subcategory
        impact, urgency = impact or model.impact, urgency or model.urgency
    impact, urgency = impact or 3, urgency or 3
    priority = policy.priority(impact, urgency)
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
                join(incident, actor, "commander", actor=actor)
                if owner is not None and owner.id != actor.id:
                    join(incident, owner, "member")
                if model is not None:
                    copy_checklist(incident, model)
            return incident
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def update_fields(
    actor: User, incident: Incident, values: dict, at: datetime | None = None
) -> bool:
    """Set the fields of `values` (column names) that differ, one event each, people named
    by username; returns whether any changed (imports of later versions of a record).
    The notes' search documents carry the service and priority (who may see them is
    asked of `app.visibility` at search time)."""
    changed = {key: value for key, value in values.items() if getattr(incident, key) != value}
    for key, value in changed.items():
        old = getattr(incident, key)
        setattr(incident, key, value)
        field = key
        if key.endswith("_id") and key != "model_id":  # owner_id, reporter_id: a person
            field, old, value = key.removesuffix("_id"), _username(old), _username(value)
        log_change(incident, actor, field, old, value, at=at)
    if changed.keys() & {"service", "priority"}:
        outbox.enqueue_incident(incident.id)
    return bool(changed)


def _username(user_id: int | None) -> str | None:
    return db.session.scalar(select(User.username).where(User.id == user_id)) if user_id else None


def assign(actor: User, incident: Incident, owner: User) -> None:
    """Hand the incident to `owner`; someone is responsible at every moment."""
    require_worker(actor)
    if not can_work(owner) or not owner.is_active:
        raise Refused(f"@{owner.username} cannot own incidents.")
    if not visibility.can_see_incident(owner, incident):
        raise Refused(f"@{owner.username} is not on this restricted incident's team.")
    if owner.id == incident.owner_id:
        return
    with write_transaction():
        old = incident.owner.username if incident.owner else None
        incident.owner_id = owner.id
        log_change(incident, actor, "owner", old, owner.username)
        join(incident, owner, "member")


def set_impact_urgency(
    actor: User, incident: Incident, impact: int, urgency: int, policy: Policy = DEFAULT_POLICY
) -> None:
    require_worker(actor)
    priority = policy.priority(impact, urgency)
    with write_transaction():
        if (incident.impact, incident.urgency) != (impact, urgency):
            old = f"P{incident.priority} (impact {incident.impact}, urgency {incident.urgency})"
            incident.impact, incident.urgency, incident.priority = impact, urgency, priority
            outbox.enqueue_incident(incident.id)
            new = f"P{priority} (impact {impact}, urgency {urgency})"
            log_change(incident, actor, "priority", old, new)


def set_workaround(actor: User, incident: Incident, text: str) -> None:
    require_worker(actor)
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
            yes_no = {True: "yes", False: "no"}
            log_change(incident, actor, "major", yes_no[incident.major], yes_no[major])
        incident.major = major
        if major and incident.major_manager_id != manager.id:
            log_change(incident, actor, "major_manager", None, manager.username)
            incident.major_manager_id = manager.id
            join(incident, manager, "commander")


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
