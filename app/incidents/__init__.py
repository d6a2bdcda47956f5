"""Incident records the ITIL 4 way, one module per concern; the public functions are
re-exported here, so callers write `incidents.register(...)`, `incidents.move(...)`.

- `records`: register, find, and change fields (owner, priority, workaround, major)
- `lifecycle`: status moves, acknowledgement, a parent's resolution carried to children
- `family`: parent and child links
- `team`: who works incidents, each incident's team and roles
- `incident_models`, `checklists`: templates that pre-fill incidents, and their steps
- `sla`: SLA clocks and warnings;  `queries`: the list, the timeline, the major board
- `history`: every change as an event
The rules themselves (moves, priority matrix, SLA targets) are plain data in `app.itil`.
"""

from app.incidents.checklists import checklist, checklist_steps, tick
from app.incidents.family import children, link_parent, open_children, parent_of
from app.incidents.history import events, log_change
from app.incidents.incident_models import (
    get_incident_model,
    incident_models,
    save_incident_model,
)
from app.incidents.lifecycle import acknowledge, move, resolve_children
from app.incidents.queries import (
    TimelineCursor,
    TimelineItem,
    followed_incidents,
    major_board,
    search_incidents,
    timeline,
)
from app.incidents.records import (
    NUMBER_DIGITS,
    NUMBER_PREFIX,
    assign,
    get_incident,
    next_number,
    register,
    service_named,
    set_impact_urgency,
    set_major,
    set_workaround,
    update_fields,
)
from app.incidents.sla import ClockState, SlaSummary, at_risk, sla, sla_summary, warn_sla
from app.incidents.team import add_member, can_work, members, remove_member, worked_by
from app.itil import MOVES, OPEN, RESOLUTION_CODES

__all__ = [
    "MOVES",
    "NUMBER_DIGITS",
    "NUMBER_PREFIX",
    "OPEN",
    "RESOLUTION_CODES",
    "ClockState",
    "SlaSummary",
    "TimelineCursor",
    "TimelineItem",
    "acknowledge",
    "add_member",
    "assign",
    "at_risk",
    "can_work",
    "checklist",
    "checklist_steps",
    "children",
    "events",
    "followed_incidents",
    "get_incident",
    "get_incident_model",
    "incident_models",
    "link_parent",
    "log_change",
    "major_board",
    "members",
    "move",
    "next_number",
    "open_children",
    "parent_of",
    "register",
    "remove_member",
    "resolve_children",
    "save_incident_model",
    "search_incidents",
    "service_named",
    "set_impact_urgency",
    "set_major",
    "set_workaround",
    "sla",
    "sla_summary",
    "tick",
    "timeline",
    "update_fields",
    "warn_sla",
    "worked_by",
]
