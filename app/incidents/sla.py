"""SLA clocks of incidents (respond-by, resolve-by, from `app.itil`) and the warnings sent
to who follows an incident when one of its clocks is nearly out of time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app import notifications, visibility
from app.clock import utcnow
from app.database import write_transaction
from app.extensions import db
from app.itil import AT_RISK_SHARE, DEFAULT_POLICY, OPEN, Policy, SlaClock
from app.models import Follow, Incident, Service, User


def sla(
    incident: Incident, policy: Policy = DEFAULT_POLICY, now: datetime | None = None
) -> SlaClock:
    """The incident's SLA clocks now: they stop at acknowledgement and at resolution."""
    resolved_at = incident.resolved_at or (
        incident.closed_at if incident.status == "closed" else None
    )
    return policy.clock(
        incident.priority,
        incident.registered_at,
        incident.acknowledged_at,
        resolved_at,
        now or utcnow(),
    )


def at_risk(
    incident: Incident,
    policy: Policy = DEFAULT_POLICY,
    now: datetime | None = None,
    share: float = AT_RISK_SHARE,
) -> bool:
    """Open, and breached or with less than `share` of its resolve-by time left."""
    if incident.status not in OPEN:
        return False
    clock = sla(incident, policy, now)
    return clock.resolve_left < clock.resolve_target * share


@dataclass(frozen=True)
class ClockState:
    """One SLA clock as a badge reads it.

    `state` is one of: running ones `on_track`, `at_risk` (less than AT_RISK_SHARE of its
    time left) and `breached` (past due while the incident is open: the only state that
    asks for action); stopped ones `met` and `missed` (said quietly: nothing to do any
    more); `none` (no clock: a cancelled incident, or one never acknowledged).
    """

    clock: str  # "respond" or "resolve"
    state: str
    due: datetime
    left: timedelta  # negative once past due (for a stopped clock: at the stop)
    at_risk_from: datetime  # when a running clock turns at risk (the page counts down to it)

    @property
    def running(self) -> bool:
        return self.state in ("on_track", "at_risk", "breached")


@dataclass(frozen=True)
class SlaSummary:
    respond: ClockState
    resolve: ClockState

    @property
    def headline(self) -> ClockState:
        """The clock a list shows: the running one with least time left, else resolve's."""
        running = [c for c in (self.respond, self.resolve) if c.running]
        return min(running, key=lambda c: c.left) if running else self.resolve


def sla_summary(
    incident: Incident, policy: Policy = DEFAULT_POLICY, now: datetime | None = None
) -> SlaSummary:
    """Both SLA clocks of `incident` now, each with the state its badge shows."""
    clock = sla(incident, policy, now)
    if incident.status == "cancelled":  # raised by mistake or twice: no SLA to keep
        none = {"state": "none", "left": timedelta(0)}
        return SlaSummary(
            ClockState("respond", due=clock.respond_by, at_risk_from=clock.respond_by, **none),
            ClockState("resolve", due=clock.resolve_by, at_risk_from=clock.resolve_by, **none),
        )
    is_open = incident.status in OPEN
    respond = _state(
        "respond",
        clock.respond_by,
        clock.respond_left,
        clock.respond_target,
        clock.responded,
        is_open,
    )
    resolve = _state(
        "resolve",
        clock.resolve_by,
        clock.resolve_left,
        clock.resolve_target,
        clock.resolved,
        is_open,
    )
    return SlaSummary(respond, resolve)


def _state(
    name: str, due: datetime, left: timedelta, target: timedelta, stopped: bool, is_open: bool
) -> ClockState:
    at_risk_from = due - target * AT_RISK_SHARE
    if stopped:
        state = "missed" if left < timedelta(0) else "met"
    elif not is_open:  # cancelled, or resolved without ever being acknowledged
        state = "none"
    elif left < timedelta(0):
        state = "breached"
    elif left < target * AT_RISK_SHARE:
        state = "at_risk"
    else:
        state = "on_track"
    return ClockState(name, state, due, left, at_risk_from)


def warn_sla(
    policy: Policy = DEFAULT_POLICY, now: datetime | None = None, share: float = AT_RISK_SHARE
) -> int:
    """Notify who follows an open incident (or its service), and its owner, once it has
    less than `share` of its respond-by or resolve-by time left; returns how many were
    notified. Run every minute by the background jobs; never twice for the same clock."""
    now = now or utcnow()
    recent = select(Incident).where(
        Incident.status.in_(OPEN),
        Incident.registered_at >= now - policy.longest_resolve * (1 + share),
    )
    sent = 0
    with write_transaction():
        for incident in db.session.scalars(recent):
            for clock in sla(incident, policy, now).closing(share):
                for user_id in _watchers(incident):
                    sent += notifications.notify_about_incident(user_id, f"sla_{clock}", incident)
    return sent


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
    return {user.id for user in users if visibility.can_see_incident(user, incident)}
