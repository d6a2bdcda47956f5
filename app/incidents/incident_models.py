"""Incident models (ITIL's templates for recurring kinds of incident): category, service,
impact and urgency, a checklist and default tags that pre-fill a new incident."""

from __future__ import annotations

from sqlalchemy import select

from app.database import write_transaction
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.incidents.checklists import MAX_CHECKLIST_STEPS, MAX_STEP_LENGTH, checklist_steps
from app.itil import check_scale
from app.models import IncidentModel, User
from app.text import is_valid_tag_name

MAX_DEFAULT_TAGS = 10


def incident_models() -> list[IncidentModel]:
    return list(db.session.scalars(select(IncidentModel).order_by(IncidentModel.name)))


def get_incident_model(model_id: int | None) -> IncidentModel | None:
    if model_id is None:
        return None
    model = db.session.get(IncidentModel, model_id)
    if model is None:
        raise NotFound("There is no such incident model.")
    return model


def save_incident_model(
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
    if len(names) > MAX_DEFAULT_TAGS:
        raise Refused(f"An incident model has at most {MAX_DEFAULT_TAGS} default tags.")
    return ["#" + name for name in dict.fromkeys(names)]
