"""Alert intake from Prometheus Alertmanager (webhook body version 4).

One incident per alert group (Alertmanager's group key); repeats are deduplicated by
group key and alert fingerprint, so a re-sent notification never registers a second
incident. Each newly firing or newly resolved alert adds a system note. When the whole
group resolves, the incident is resolved too, unless a person has taken it over (it has
an owner other than the alerting account). A new incident's service is the first of the
labels in `AlertRules.service_labels` (`I2I_ALERT_SERVICE_LABELS`: service, job) an alert
has, its impact comes from the `severity` label through `AlertRules.severity_impact`
(`I2I_ALERT_SEVERITY_IMPACT`: critical 1, warning 2, info 3; 2 for any other). The body
is checked completely before anything is written, and everything is written in one
transaction. A notification carries at most MAX_ALERTS alerts (Alertmanager's
`max_alerts` setting truncates a bigger group's), so one cannot hold the writer for long.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select

from app import accounts, incidents, notes
from app.clock import parse_time, utcnow
from app.config import DEFAULT_SEVERITY_IMPACT
from app.database import write_transaction
from app.errors import Refused
from app.extensions import db
from app.itil import DEFAULT_POLICY, Policy
from app.models import AlertGroup, AlertInstance, Incident, User
from app.text import DEFAULT_INCIDENT_PATTERN

SYSTEM_USER = "alertmanager"
DEFAULT_URGENCY = 2
MAX_NOTE = 480
MAX_ALERTS = 1_000


@dataclass(frozen=True)
class AlertRules:
    """How alerts become incidents: the settings of DESIGN §7's alert intake."""

    severity_impact: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SEVERITY_IMPACT))
    service_labels: tuple[str, ...] = ("service", "job")
    policy: Policy = DEFAULT_POLICY
    incident_pattern: str = DEFAULT_INCIDENT_PATTERN


@dataclass(frozen=True)
class Alert:
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    fingerprint: str

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "alert")


@dataclass(frozen=True)
class Notification:
    group_key: str
    status: str
    common_labels: dict[str, str]
    common_annotations: dict[str, str]
    alerts: list[Alert]


def _text_map(value, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise Refused(f"{where} must be an object of strings.")
    return value


def _time(value, where: str) -> datetime | None:
    if value == "0001-01-01T00:00:00Z":  # Alertmanager's "not ended yet"
        return None
    return parse_time(value, where)


def parse(body) -> Notification:
    """Check a webhook body and read it, or refuse it saying what is wrong."""
    if not isinstance(body, dict):
        raise Refused("The body must be a JSON object (Alertmanager webhook, version 4).")
    if str(body.get("version")) != "4":
        raise Refused("Only Alertmanager webhook version 4 is understood.")
    group_key = body.get("groupKey")
    if not isinstance(group_key, str) or not group_key.strip():
        raise Refused("groupKey is missing.")
    if body.get("status") not in ("firing", "resolved"):
        raise Refused("status must be 'firing' or 'resolved'.")
    raw_alerts = body.get("alerts")
    if not isinstance(raw_alerts, list) or not raw_alerts:
        raise Refused("alerts must be a non-empty list.")
    if len(raw_alerts) > MAX_ALERTS:
        raise Refused(
            f"At most {MAX_ALERTS:,} alerts a notification (this one has {len(raw_alerts):,}): "
            f"set max_alerts: {MAX_ALERTS} in the webhook receiver.",
            status=413,
        )
    alerts = []
    for index, raw in enumerate(raw_alerts):
        where = f"alerts[{index}]"
        if not isinstance(raw, dict):
            raise Refused(f"{where} must be an object.")
        if raw.get("status") not in ("firing", "resolved"):
            raise Refused(f"{where}.status must be 'firing' or 'resolved'.")
        fingerprint = raw.get("fingerprint")
        if not isinstance(fingerprint, str) or not fingerprint or len(fingerprint) > 100:
            raise Refused(f"{where}.fingerprint is missing.")
        alerts.append(
            Alert(
                raw["status"],
                _text_map(raw.get("labels"), f"{where}.labels"),
                _text_map(raw.get("annotations"), f"{where}.annotations"),
                _time(raw.get("startsAt"), f"{where}.startsAt"),
                _time(raw.get("endsAt"), f"{where}.endsAt"),
                fingerprint,
            )
        )
    return Notification(
        group_key[:1000],
        body["status"],
        _text_map(body.get("commonLabels"), "commonLabels"),
        _text_map(body.get("commonAnnotations"), "commonAnnotations"),
        alerts,
    )


def system_user() -> User:
    user = accounts.find_user(SYSTEM_USER)
    return user or accounts.create_user(SYSTEM_USER, role="responder", display_name="Alertmanager")


def _describe(alert: Alert, verb: str) -> str:
    labels = " ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()) if k != "alertname")
    summary = alert.annotations.get("summary") or alert.annotations.get("description") or ""
    text = f"Alert {verb}: {alert.name} {labels}".strip()
    return (f"{text} — {summary}" if summary else text)[:MAX_NOTE]


def receive(notification: Notification, rules: AlertRules | None = None) -> Incident:
    """Register or update the incident of an alert group; returns it."""
    rules = rules or AlertRules()
    with write_transaction():  # the alerting account too: a refused body leaves nothing
        bot = system_user()
        group = db.session.scalar(
            select(AlertGroup).where(AlertGroup.group_key == notification.group_key)
        )
        incident = db.session.get(Incident, group.incident_id) if group else None
        if incident is None or incident.status in ("closed", "cancelled"):
            if notification.status == "resolved":
                raise Refused("No open incident for this group; nothing to resolve.", status=409)
            incident = _register(bot, notification, rules)
            if group is None:
                group = AlertGroup(
                    group_key=notification.group_key, incident_id=incident.id, status="firing"
                )
                db.session.add(group)
                db.session.flush()
            else:
                group.incident_id = incident.id
                db.session.execute(delete(AlertInstance).where(AlertInstance.group_id == group.id))
        _record_alerts(bot, group, incident, notification, rules)
        group.status, group.updated_at = notification.status, utcnow()
        if notification.status == "resolved" and incident.status in incidents.OPEN:
            _resolve(bot, incident, rules)
    return incident


def _register(bot: User, notification: Notification, rules: AlertRules) -> Incident:
    first = notification.alerts[0]
    labels = notification.common_labels or first.labels
    annotations = notification.common_annotations or first.annotations
    severity = labels.get("severity", "").lower()
    service = next((labels[k] for k in rules.service_labels if labels.get(k)), None)
    title = annotations.get("summary") or f"{labels.get('alertname', 'Alert')} firing"
    starts = [a.starts_at for a in notification.alerts if a.starts_at]
    return incidents.register(
        bot,
        title=title[:200],
        description=annotations.get("description"),
        service=service[:120] if service else None,
        impact=rules.severity_impact.get(severity, 2),
        urgency=DEFAULT_URGENCY,
        detected_at=min(starts) if starts else None,
        source="alert",
        policy=rules.policy,
    )


def _record_alerts(
    bot: User,
    group: AlertGroup,
    incident: Incident,
    notification: Notification,
    rules: AlertRules,
) -> None:
    for alert in notification.alerts:
        seen = db.session.get(AlertInstance, (group.id, alert.fingerprint))
        if seen is not None and seen.status == alert.status:
            continue  # a repeat: nothing new to say
        if seen is None:
            seen = AlertInstance(
                group_id=group.id,
                fingerprint=alert.fingerprint,
                status=alert.status,
                starts_at=alert.starts_at,
            )
            db.session.add(seen)
        seen.status, seen.ends_at = alert.status, alert.ends_at
        if alert.status == "firing" and incident.status == "resolved":
            incidents.move(bot, incident, "in_progress")  # it came back: reopen
        verb = "firing" if alert.status == "firing" else "resolved"
        notes.post_note(
            bot,
            _describe(alert, verb),
            incident=incident,
            occurred_at=_past(alert.starts_at if verb == "firing" else alert.ends_at),
            pattern=rules.incident_pattern,
        )


def _past(moment: datetime | None) -> datetime | None:
    return moment if moment is not None and moment <= utcnow() else None


def _resolve(bot: User, incident: Incident, rules: AlertRules) -> None:
    """Resolve with the group, unless a person owns the incident now."""
    if incident.owner_id != bot.id:
        notes.post_note(
            bot,
            "All alerts of this group resolved; the owner decides when it is.",
            incident=incident,
            pattern=rules.incident_pattern,
        )
        return
    for step in (["in_progress"] if incident.status == "new" else []) + ["resolved"]:
        incidents.move(
            bot,
            incident,
            step,
            resolution_code="Solved (Permanently)",
            resolution_notes="All alerts of the group resolved (Alertmanager).",
        )
