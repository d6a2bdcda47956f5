"""Incident pages: the list managers filter, registration, and the incident's timeline."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from app import accounts, analysis, feeds, follows, incidents, notes, quick_actions, tags
from app.clock import parse_day, utcnow
from app.errors import Refused
from app.extensions import htmx
from app.incidents import review
from app.models import MEMBER_ROLES
from app.web.forms import (
    AssignForm,
    EmptyForm,
    IncidentForm,
    MemberForm,
    MoveForm,
    NoteForm,
    PriorityForm,
    require_valid,
)
from app.web.pages import render
from app.web.params import incident_pattern, local_path, policy, record_id

bp = Blueprint("incidents", __name__, url_prefix="/incidents")


def _back_to(incident):
    """After a change, show the incident again (post/redirect/get)."""
    return redirect(url_for("incidents.show", number=incident.number))


@bp.get("")
@login_required
def index():
    filters = {
        key: request.args.get(key, "")
        for key in ("status", "priority", "service", "major", "mine", "risk", "sort")
    }
    found = incidents.search_incidents(current_user, **filters, policy=policy())
    return render(
        "incidents/index.html",
        "incidents/_rows.html",
        incidents=found,
        filters=filters,
        statuses=incidents.MOVES,
        sla=partial(incidents.sla_summary, policy=policy()),
        following_service=_following_service(filters["service"]),
        action_form=EmptyForm(),
    )


@bp.get("/major")
@login_required
def board():
    return render(
        "incidents/major.html",
        incidents=incidents.major_board(current_user),
        sla=partial(incidents.sla_summary, policy=policy()),
        title="Major incidents",
    )


@bp.get("/metrics")
@login_required
def metrics():
    today = utcnow().date()
    first = parse_day(request.args.get("from"), "From", today - timedelta(days=30))
    last = parse_day(request.args.get("to"), "To", today)
    by = request.args.get("by", "priority")
    table = analysis.response_metrics(current_user, first, last, by)
    return render(
        "incidents/metrics.html",
        table=table.to_dict("records"),
        by=by,
        start=first,
        end=last,
        title="MTTA and MTTR",
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def register():
    form = IncidentForm()
    if request.method == "POST":
        require_valid(form)
        owner_name = (form.owner.data or "").strip().lstrip("@")
        incident = incidents.register(
            current_user,
            title=form.title.data,
            description=form.description.data,
            service=form.service.data or None,
            category=form.category.data or None,
            subcategory=form.subcategory.data or None,
            impact=int(form.impact.data),
            urgency=int(form.urgency.data),
            assignment_group=form.assignment_group.data or None,
            owner=accounts.get_user(owner_name) if owner_name else None,
            model=incidents.get_incident_model(form.model.data),
            restricted=form.restricted.data,
            policy=policy(),
        )
        flash(f"Registered {incident.number}.", "info")
        return _back_to(incident)
    model = incidents.get_incident_model(record_id(request.args.get("model"), "The model"))
    if model is not None:
        form.fill_from(model)
    return render("incidents/new.html", form=form, models=incidents.incident_models(), model=model)


# What the "More actions" menu offers (besides the toolbar's buttons); each opens its form
# under the header (`?act=NAME`).
ACTIONS = {
    "resolve": "Resolve…",
    "hold": "Put on hold…",
    "handover": "Hand over…",
    "priority": "Change priority…",
    "workaround": "Record a workaround…",
    "parent": "Link to a parent incident…",
    "major": "Declare a major incident…",
    "cancel": "Cancel incident…",
}


def _offered(incident) -> list[str]:
    """The actions that make sense for the incident as it is now."""
    moves = incidents.MOVES[incident.status]
    if not moves:
        return []
    wanted = {
        "resolve": "resolved" in moves,
        "hold": "on_hold" in moves,
        "major": not incident.major,
        "cancel": "cancelled" in moves,
    }
    return [name for name in ACTIONS if wanted.get(name, True)]


@bp.get("/<number>")
@login_required
def show(number: str):
    incident = incidents.get_incident(number, current_user)
    act = request.args.get("act", "")[:20]
    offered = _offered(incident)
    if act and act not in offered:
        raise Refused(f"{incident.number} offers no such action now.")
    forms = {
        "action_form": EmptyForm(),
        "priority_form": PriorityForm(impact=incident.impact, urgency=incident.urgency),
        "resolution_codes": incidents.RESOLUTION_CODES,
        "open_children": incidents.open_children(incident, current_user),
    }
    if act and htmx:  # the menu asked for one action's form, to put under the header
        return render("incidents/_action.html", incident=incident, act=act, **forms)
    newest_first = accounts.preferences(current_user).timeline_order == "newest"
    after = incidents.TimelineCursor.parse(request.args.get("after"))
    if after is not None and htmx:  # a live page: what arrived since it last looked
        return _arrived(incident, after, newest_first)
    timeline, cursor = incidents.timeline(incident, current_user, newest_first=newest_first)
    return render(
        "incidents/show.html",
        incident=incident,
        act=act,
        actions=[(name, ACTIONS[name]) for name in offered if name != "resolve"],
        newest_first=newest_first,
        timeline=timeline,
        cursor=cursor,
        clock=incidents.sla_summary(incident, policy()),
        team=incidents.members(incident),
        parent=incidents.parent_of(incident, current_user),
        children=incidents.children(incident, current_user),
        moves=sorted(incidents.MOVES[incident.status]),
        title=f"{incident.number} {incident.title}",
        following=follows.is_following(current_user, "incident", incident.id),
        following_service=_following_service(incident.service),
        checklist=incidents.checklist(incident),
        hashtags=tags.incident_tags(incident.id, current_user),
        member_form=MemberForm(),
        roles=MEMBER_ROLES,
        reviewable=review.may_review(incident),
        **forms,
    )


def _arrived(incident, after, newest_first: bool):
    """The entries that arrived after `after`, to add to a live timeline, with the state
    line afresh when something changed."""
    arrived, cursor = incidents.timeline(
        incident, current_user, newest_first=newest_first, after=after
    )
    return render(
        "incidents/_live.html",
        incident=incident,
        entries=arrived,
        newest_first=newest_first,
        cursor=cursor,
        clock=incidents.sla_summary(incident, policy()),
    )


def _following_service(name: str | None) -> bool:
    service = incidents.service_named(name) if name else None
    return service is not None and follows.is_following(current_user, "service", service.id)


@bp.post("/services/follow")
@login_required
def follow_service():
    require_valid(EmptyForm())
    service = incidents.service_named(request.form.get("service", ""), create=True)
    following = request.form.get("action") != "unfollow"
    follows.set_following(current_user, "service", service.id, following)
    flash(f"{'Following' if following else 'No longer following'} {service.name}.", "info")
    return redirect(local_path(request.form.get("next")) or url_for("incidents.index"))


@bp.post("/<number>/notes")
@login_required
def post(number: str):
    incident = incidents.get_incident(number, current_user)
    form = require_valid(NoteForm())
    note = notes.post_note(
        current_user,
        form.text.data,
        incident=incident,
        pattern=incident_pattern(),
        policy=policy(),
    )
    page = url_for("incidents.show", number=incident.number)
    if htmx and not quick_actions.parse(note.text):
        (view,) = feeds.load_notes([note.id], current_user)
        entry = incidents.TimelineItem(view.sort_at, "note", view)
        return render("incidents/_entries.html", entries=[entry], fresh=True, status=201)
    if htmx:  # quick actions changed the incident: show it afresh, events included
        return "", 204, {"HX-Redirect": page}
    return redirect(page)


@bp.get("/<number>/preview")
@login_required
def preview(number: str):
    """What the quick actions in a draft note would do (the composer shows it as you type)."""
    incident = incidents.get_incident(number, current_user)
    text = request.args.get("text", "")[:2000]
    try:
        actions = quick_actions.parse(text)
        lines = quick_actions.describe(current_user, incident, actions, text, policy())
        problem = None
    except Refused as refused:
        lines, problem = [], refused.message
    return render(
        "incidents/_preview.html",
        "incidents/_preview.html",
        lines=lines,
        problem=problem,
        misses=quick_actions.near_misses(text),
    )


@bp.post("/<number>/follow")
@login_required
def follow(number: str):
    incident = incidents.get_incident(number, current_user)
    require_valid(EmptyForm())
    following = request.form.get("action") != "unfollow"
    follows.set_following(current_user, "incident", incident.id, following)
    return _back_to(incident)


@bp.post("/<number>/status")
@login_required
def move(number: str):
    incident = incidents.get_incident(number, current_user)
    form = require_valid(MoveForm())
    incidents.move(
        current_user,
        incident,
        form.status.data,
        reason=form.reason.data,
        resolution_code=form.resolution_code.data or None,
        resolution_notes=form.resolution_notes.data,
        with_children=form.with_children.data,
    )
    return _back_to(incident)


@bp.post("/<number>/children/resolve")
@login_required
def resolve_children(number: str):
    incident = incidents.get_incident(number, current_user)
    require_valid(EmptyForm())
    done = incidents.resolve_children(
        current_user, incident, incident.resolution_code, incident.resolution_notes
    )
    flash(f"Resolved {len(done)} child incident{'s' if len(done) != 1 else ''}.", "info")
    return _back_to(incident)


@bp.post("/<number>/checklist/<int:item_id>")
@login_required
def tick(number: str, item_id: int):
    incident = incidents.get_incident(number, current_user)
    require_valid(EmptyForm())
    incidents.tick(current_user, incident, item_id, request.form.get("done") == "yes")
    return _back_to(incident)


@bp.post("/<number>/team")
@login_required
def add_member(number: str):
    incident = incidents.get_incident(number, current_user)
    form = require_valid(MemberForm(), "Give a username and one of the team roles.")
    user = accounts.get_user(form.username.data.strip().lstrip("@"))
    incidents.add_member(current_user, incident, user, form.role.data)
    return _back_to(incident)


@bp.post("/<number>/team/<username>/remove")
@login_required
def remove_member(number: str, username: str):
    incident = incidents.get_incident(number, current_user)
    require_valid(EmptyForm())
    incidents.remove_member(current_user, incident, accounts.get_user(username))
    return _back_to(incident)


@bp.post("/<number>/owner")
@login_required
def assign(number: str):
    incident = incidents.get_incident(number, current_user)
    form = require_valid(AssignForm())
    owner = accounts.get_user(form.owner.data.strip().lstrip("@"))
    incidents.assign(current_user, incident, owner)
    return _back_to(incident)


@bp.post("/<number>/acknowledge")
@login_required
def acknowledge(number: str):
    incident = incidents.get_incident(number, current_user)
    require_valid(EmptyForm())
    incidents.acknowledge(current_user, incident)
    return _back_to(incident)


@bp.post("/<number>/major")
@login_required
def major(number: str):
    incident = incidents.get_incident(number, current_user)
    require_valid(EmptyForm())
    name = (request.form.get("manager") or "").strip().lstrip("@").lower()
    manager = accounts.get_user(name) if name else None
    incidents.set_major(current_user, incident, request.form.get("major") == "yes", manager)
    return _back_to(incident)


@bp.post("/<number>/priority")
@login_required
def priority(number: str):
    incident = incidents.get_incident(number, current_user)
    form = require_valid(PriorityForm(), "Choose impact and urgency, each 1 (high) to 3 (low).")
    incidents.set_impact_urgency(
        current_user, incident, form.impact.data, form.urgency.data, policy=policy()
    )
    return _back_to(incident)


@bp.post("/<number>/workaround")
@login_required
def workaround(number: str):
    incident = incidents.get_incident(number, current_user)
    require_valid(EmptyForm())
    incidents.set_workaround(current_user, incident, request.form.get("workaround", "")[:2000])
    return _back_to(incident)


@bp.post("/<number>/parent")
@login_required
def link(number: str):
    incident = incidents.get_incident(number, current_user)
    require_valid(EmptyForm())
    parent_number = (request.form.get("parent") or "").strip()
    if not parent_number:
        raise Refused("Name the parent incident, e.g. INC0000123.")
    incidents.link_parent(
        current_user, incident, incidents.get_incident(parent_number, current_user)
    )
    return _back_to(incident)
