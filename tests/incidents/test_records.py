"""Incident records: priority, status moves, ownership, teams, SLA clocks, restricted visibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from app import feeds, incidents, notifications, tags
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.feeds import Feed
from app.incidents import MOVES
from app.itil import DEFAULT_POLICY, DEFAULT_SLA_TARGETS, Policy
from app.models import INCIDENT_STATUSES, IncidentEvent


@pytest.mark.parametrize(
    "impact,urgency,priority",
    [
        (1, 1, 1),
        (1, 2, 2),
        (1, 3, 3),
        (2, 1, 2),
        (2, 2, 3),
        (2, 3, 4),
        (3, 1, 3),
        (3, 2, 4),
        (3, 3, 5),
    ],
)
def test_priority_follows_the_servicenow_matrix(impact, urgency, priority):
    assert DEFAULT_POLICY.priority(impact, urgency) == priority


@pytest.mark.parametrize("impact,urgency", [(0, 1), (4, 1), (1, 0), (2, 9)])
def test_out_of_scale_impact_or_urgency_is_refused(impact, urgency):
    with pytest.raises(Refused, match="1 \\(high\\), 2 \\(medium\\) or 3 \\(low\\)"):
        DEFAULT_POLICY.priority(impact, urgency)


def test_the_priority_matrix_and_sla_targets_are_configurable(monkeypatch, tmp_path):
    from app.config import ConfigError, load_settings, priority_matrix, sla_targets

    monkeypatch.setenv("I2I_PRIORITY_MATRIX", "1,1,2 / 2 3 4 / 3 4 5")
    monkeypatch.setenv("I2I_SLA_TARGETS", "P1=30m/2h p5=2d/10d")
    monkeypatch.setenv("I2I_ALERT_SEVERITY_IMPACT", "disaster=1 average=2")
    settings = load_settings({"I2I_INSTANCE_DIR": str(tmp_path)})
    assert settings["I2I_PRIORITY_MATRIX"][0] == (1, 1, 2)
    assert settings["I2I_SLA_TARGETS"][1] == (timedelta(minutes=30), timedelta(hours=2))
    assert settings["I2I_SLA_TARGETS"][5] == (timedelta(days=2), timedelta(days=10))
    assert settings["I2I_SLA_TARGETS"][3] == (timedelta(hours=4), timedelta(hours=24))  # kept
    assert settings["I2I_ALERT_SEVERITY_IMPACT"] == {"disaster": 1, "average": 2}
    for bad in ("1 2 3 / 2 3 4", "1 2 3 / 2 3 4 / 3 4 9", "a b c / 1 2 3 / 1 2 3"):
        with pytest.raises(ConfigError, match="I2I_PRIORITY_MATRIX"):
            priority_matrix(bad)
    for bad in ("P1=15m", "P6=1h/2h", "P1=4h/1h", "P2=1w/2w"):
        with pytest.raises(ConfigError, match="I2I_SLA_TARGETS"):
            sla_targets(bad)


def test_registration_and_clocks_follow_the_configured_matrix_and_targets(
    ctx, make_user, monkeypatch
):
    targets = dict(DEFAULT_SLA_TARGETS) | {3: (timedelta(minutes=5), timedelta(hours=1))}
    policy = Policy(((3, 3, 3), (3, 4, 5), (5, 5, 5)), targets)
    incident = incidents.register(
        make_user("sam"), title="Badge readers", impact=1, urgency=1, policy=policy
    )
    assert incident.priority == 3
    clock = incidents.sla(incident, policy, now=incident.registered_at + timedelta(minutes=6))
    assert clock.respond_by == incident.registered_at + timedelta(minutes=5)
    assert clock.respond_left == timedelta(minutes=-1) and clock.resolve_left > timedelta(0)
    assert incidents.at_risk(incident, policy, incident.registered_at + timedelta(minutes=50))


@pytest.fixture
def sam(make_user):
    return make_user("sam")


def register(actor, **kwargs):
    return incidents.register(
        actor, title=kwargs.pop("title", "VPN drops every 5 minutes"), **kwargs
    )


def test_registration_numbers_owner_priority_and_team(sam):
    first = register(sam, impact=2, urgency=1, service="VPN")
    second = register(sam)
    assert (first.number, second.number) == ("INC0000001", "INC0000002")
    assert first.priority == 2 and first.status == "new" and first.owner_id == sam.id
    assert [(m.user.username, m.role) for m in incidents.members(first)] == [("sam", "commander")]
    assert [e.field for e in incidents.events(first)] == ["registered", "member"]


def test_designers_and_researchers_cannot_register(make_user):
    with pytest.raises(Forbidden):
        register(make_user("dina", role="designer"))


def test_empty_title_is_refused(sam):
    with pytest.raises(Refused, match="needs a title"):
        register(sam, title="   ")


def path_to(incident, actor, status):
    """Bring a fresh incident to `status` by legal moves."""
    route = {
        "new": [],
        "in_progress": ["in_progress"],
        "on_hold": ["in_progress", "on_hold"],
        "resolved": ["in_progress", "resolved"],
        "closed": ["in_progress", "resolved", "closed"],
        "cancelled": ["cancelled"],
    }
    for step in route[status]:
        incidents.move(
            actor,
            incident,
            step,
            reason="waiting for vendor",
            resolution_code="Solved (Permanently)",
            resolution_notes="restarted it",
        )


@pytest.mark.parametrize("start,target", list(product(INCIDENT_STATUSES, INCIDENT_STATUSES)))
def test_every_status_move_is_allowed_or_refused_as_itil_says(sam, start, target):
    incident = register(sam)
    path_to(incident, sam, start)
    assert incident.status == start
    kwargs = {
        "reason": "waiting for vendor",
        "resolution_code": "Solved (Permanently)",
        "resolution_notes": "restarted it",
    }
    if target in MOVES[start]:
        incidents.move(sam, incident, target, **kwargs)
        assert incident.status == target
        event = incidents.events(incident)[-1]
        assert (event.field, event.old, event.new) == ("status", start, target)
    else:
        before = db.session.query(IncidentEvent).count()
        with pytest.raises(Refused, match="cannot move to"):
            incidents.move(sam, incident, target, **kwargs)
        db.session.refresh(incident)
        assert incident.status == start and db.session.query(IncidentEvent).count() == before


def test_a_move_is_checked_against_the_incident_as_it_is_when_written(sam):
    """Two at once: lee closed it a moment ago; sam's request still holds it as resolved."""
    from sqlalchemy.orm.attributes import set_committed_value

    incident = register(sam)
    path_to(incident, sam, "closed")
    set_committed_value(incident, "status", "resolved")  # what sam's request read before
    before = db.session.query(IncidentEvent).count()
    with pytest.raises(Refused, match="is closed; it cannot move to in progress"):
        incidents.move(sam, incident, "in_progress")
    db.session.refresh(incident)
    assert incident.status == "closed" and db.session.query(IncidentEvent).count() == before


def test_on_hold_needs_a_reason_and_resolving_needs_code_and_notes(sam):
    incident = register(sam)
    incidents.move(sam, incident, "in_progress")
    with pytest.raises(Refused, match="why"):
        incidents.move(sam, incident, "on_hold", reason=" ")
    with pytest.raises(Refused, match="resolution code"):
        incidents.move(sam, incident, "resolved", resolution_code="fixed", resolution_notes="x")
    with pytest.raises(Refused, match="Resolution notes"):
        incidents.move(sam, incident, "resolved", resolution_code="Solved (Permanently)")
    assert incident.status == "in_progress"


def test_reopening_clears_the_resolution_time(sam):
    incident = register(sam)
    path_to(incident, sam, "resolved")
    assert incident.resolved_at is not None
    incidents.move(sam, incident, "in_progress")
    assert incident.resolved_at is None and incident.acknowledged_at is not None


def test_assign_logs_old_and_new_owner_and_joins_the_team(sam, make_user):
    lee = make_user("lee")
    incident = register(sam)
    incidents.assign(sam, incident, lee)
    event = incidents.events(incident)[-2]
    assert (event.field, event.old, event.new) == ("owner", "sam", "lee")
    assert {m.user.username for m in incidents.members(incident)} == {"sam", "lee"}
    with pytest.raises(Refused, match="cannot own"):
        incidents.assign(sam, incident, make_user("rui", role="researcher"))


def test_priority_change_is_recomputed_and_logged(sam):
    incident = register(sam, impact=3, urgency=3)
    incidents.set_impact_urgency(sam, incident, 1, 2)
    assert incident.priority == 2
    assert incidents.events(incident)[-1].new == "P2 (impact 1, urgency 2)"


def test_parent_links_refuse_cycles(sam):
    parent, child, grandchild = register(sam), register(sam), register(sam)
    incidents.link_parent(sam, child, parent)
    incidents.link_parent(sam, grandchild, child)
    assert [c.number for c in incidents.children(parent, sam)] == [child.number]
    with pytest.raises(Refused):
        incidents.link_parent(sam, parent, grandchild)
    with pytest.raises(Refused):
        incidents.link_parent(sam, parent, parent)


def test_major_needs_a_manager_to_stand_down(sam, make_user):
    maria = make_user("maria", role="manager")
    incident = register(sam)
    incidents.set_major(sam, incident, True, manager=maria)
    assert incident.major and incident.major_manager_id == maria.id
    with pytest.raises(Forbidden):
        incidents.set_major(sam, incident, False)
    incidents.set_major(maria, incident, False)
    assert not incident.major


T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_sla_clocks_count_down_stop_and_breach(sam):
    incident = register(sam, impact=1, urgency=1)  # P1: respond 15 min, resolve 4 h
    incident.registered_at = T0
    clock = incidents.sla(incident, DEFAULT_POLICY, now=T0 + timedelta(minutes=10))
    assert clock.respond_left == timedelta(minutes=5) and not clock.respond_breached
    clock = incidents.sla(incident, DEFAULT_POLICY, now=T0 + timedelta(minutes=20))
    assert clock.respond_breached and clock.resolve_left == timedelta(hours=3, minutes=40)
    incident.acknowledged_at = T0 + timedelta(minutes=12)
    incident.resolved_at = T0 + timedelta(hours=5)
    clock = incidents.sla(incident, DEFAULT_POLICY, now=T0 + timedelta(days=3))
    assert not clock.respond_breached and clock.respond_left == timedelta(minutes=3)
    assert clock.resolve_breached and clock.resolve_left == -timedelta(hours=1)


def test_notes_join_the_incident_they_name_or_are_posted_in(sam, post):
    incident = register(sam)
    named = post(sam, f"looking at {incident.number} now #vpn")
    posted_in = post(sam, "from its page", incident=incident)
    reply = post(sam, "reply", reply_to=posted_in)
    loose = post(sam, "INC9999999 does not exist")
    assert named.incident_id == posted_in.incident_id == reply.incident_id == incident.id
    assert loose.incident_id is None


def test_restricted_incident_notes_vanish_for_non_members(sam, make_user, post):
    lee, ada = make_user("lee"), make_user("ada", role="admin")
    secret = register(sam, title="Phishing on payroll", restricted=True)
    public = post(sam, "#phish generic advice")
    hidden = post(sam, "payroll creds leaked #phish @lee", incident=secret)
    tag = tags.get_tag("phish")
    for viewer, sees_hidden in [(sam, True), (ada, True), (lee, False)]:
        for feed in (Feed("all"), Feed("tag", tag.id), Feed("user", sam.id)):
            shown = [n.id for n in feeds.page(feed, viewer).notes]
            assert (hidden.id in shown) is sees_hidden, (viewer.username, feed)
            assert public.id in shown
    assert hidden.id not in [n.id for n in feeds.page(Feed("home"), lee).notes]
    db.session.refresh(lee)
    assert notifications.unread_count(lee) == 0  # no mention notification leaks it
    assert tags.tag_profile(tag).note_count == 1  # public count only
    with pytest.raises(NotFound):
        incidents.get_incident(secret.number, lee)
    assert incidents.get_incident(secret.number, ada).id == secret.id


def test_a_tag_used_only_in_a_restricted_incident_is_not_suggested(sam, make_user, post):
    secret = register(sam, restricted=True)
    post(sam, "#zeroday found", incident=secret)
    assert tags.suggest_tags("zero") == []


def test_non_members_cannot_post_into_a_restricted_incident(sam, make_user, post):
    secret = register(sam, restricted=True)
    with pytest.raises(NotFound):
        post(make_user("lee"), "let me in", incident=secret)
