"""Quick actions typed in a note on their own lines, as GitLab users know them.

    /status resolved        /assign @lee        /priority 2 1 (impact urgency)
    /major                  /workaround restart the VPN client        /link INC0000123

The note keeps its text; each action is applied to the note's incident as if done from
its page (same permissions, same ITIL rules, same timeline events). Every action is
checked before anything is written: one that is illegal or not allowed refuses the whole
note, so nothing is posted.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import regex

from app import accounts, incidents
from app.database import trial_transaction
from app.errors import Refused
from app.itil import DEFAULT_POLICY, MOVES, Policy, steps_to
from app.models import Incident, User

COMMAND = regex.compile(r"^/([a-z_]+)(?:[ \t]+(.*?))?[ \t]*$", regex.MULTILINE)
COMMANDS = ("status", "assign", "priority", "major", "workaround", "link")
DEFAULT_RESOLUTION = "Solved (Permanently)"


@dataclass(frozen=True)
class QuickAction:
    command: str
    argument: str


def parse(text: str) -> list[QuickAction]:
    """The quick actions in `text`. A line like "/etc is full" is just text."""
    return [
        QuickAction(match.group(1), (match.group(2) or "").strip())
        for match in COMMAND.finditer(text)
        if match.group(1) in COMMANDS
    ]


def near_misses(text: str) -> list[tuple[str, str]]:
    """Lines that look like a mistyped quick action ("/stauts resolved"): (what was typed,
    the command meant). A line like "/etc is full" resembles none and is just text."""
    found = []
    for match in COMMAND.finditer(text):
        typed = match.group(1)
        if typed in COMMANDS:
            continue
        meant = difflib.get_close_matches(typed, COMMANDS, n=1, cutoff=0.7)
        if meant:
            found.append((typed, meant[0]))
    return found


def prose(text: str) -> str:
    """The note without its quick-action lines (what a resolution note or reason says)."""
    return COMMAND.sub(lambda m: "" if m.group(1) in COMMANDS else m.group(0), text).strip()


def describe(
    actor: User,
    incident: Incident,
    actions: list[QuickAction],
    text: str,
    policy: Policy = DEFAULT_POLICY,
) -> list[str]:
    """What posting `text` will do, in words, for the composer's preview. The actions are
    tried in a transaction that is rolled back, so a preview refuses exactly what posting
    would refuse (permissions, ITIL moves, a missing resolution note, an unknown parent)."""
    words = [_plan(action, incident, policy)[0] for action in actions]
    with trial_transaction():  # its rollback also expires what the trial changed
        apply(actor, incident, actions, text, policy)
    return words


def _plan(action: QuickAction, incident: Incident, policy: Policy):
    """(description, change) for one action; the change is applied later by `apply`."""
    arg = action.argument
    if action.command == "status":
        status = arg.lower().replace(" ", "_").replace("-", "_")
        if status not in MOVES:
            raise Refused(f"/status needs one of: {', '.join(MOVES)}.")
        steps = steps_to(incident.status, status)
        if steps is None:
            raise Refused(
                f"{incident.number} is {incident.status.replace('_', ' ')}; it "
                f"cannot move to {status.replace('_', ' ')}."
            )
        words = " then ".join(step.replace("_", " ") for step in steps)
        return f"Move {incident.number} to {words}", ("status", steps)
    if action.command == "assign":
        owner = accounts.get_user(arg.lstrip("@").lower()) if arg else None
        if owner is None:
            raise Refused("/assign needs a person: /assign @name.")
        return f"Hand {incident.number} to @{owner.username}", ("assign", owner)
    if action.command == "priority":
        parts = arg.split()
        if len(parts) != 2 or not all(p in ("1", "2", "3") for p in parts):
            raise Refused("/priority takes impact and urgency, each 1–3: /priority 2 1.")
        impact, urgency = int(parts[0]), int(parts[1])
        priority = policy.priority(impact, urgency)
        return f"Set impact {impact}, urgency {urgency}: P{priority}", (
            "priority",
            (impact, urgency),
        )
    if action.command == "major":
        return f"Declare {incident.number} a major incident", ("major", True)
    if action.command == "workaround":
        if not arg:
            raise Refused("/workaround needs the workaround: /workaround restart the client.")
        return f"Record the workaround: {arg}", ("workaround", arg)
    if action.command == "link":
        return f"Link {incident.number} under {arg.upper()}", ("link", arg)
    raise Refused(f"Unknown quick action /{action.command}.")


def apply(
    actor: User,
    incident: Incident,
    actions: list[QuickAction],
    text: str,
    policy: Policy = DEFAULT_POLICY,
) -> None:
    """Apply every action (inside the caller's write transaction: all or nothing)."""
    plans = [_plan(action, incident, policy)[1] for action in actions]
    for kind, value in plans:
        if kind == "status":
            reason = prose(text)
            for step in value:
                incidents.move(
                    actor,
                    incident,
                    step,
                    reason=reason,
                    resolution_code=DEFAULT_RESOLUTION,
                    resolution_notes=reason,
                )
        elif kind == "assign":
            incidents.assign(actor, incident, value)
        elif kind == "priority":
            incidents.set_impact_urgency(actor, incident, *value, policy=policy)
        elif kind == "major":
            incidents.set_major(actor, incident, True)
        elif kind == "workaround":
            incidents.set_workaround(actor, incident, value)
        elif kind == "link":
            incidents.link_parent(actor, incident, incidents.get_incident(value, actor))
