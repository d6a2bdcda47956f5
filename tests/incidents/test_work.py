"""Working an incident beyond its status: models and checklists, the team, parent and
children, following a service, changes in the home feed, SLA warnings, background duties."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from app import feeds, follows, incidents, jobs, notifications
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.feeds import Feed
from app.models import IncidentEvent, Notification, User, utcnow


@pytest.fixture
def sam(make_user):
    return make_user("sam")


@pytest.fixture
def ada(make_user):
    return make_user("ada", role="admin")


def register(actor, **kwargs):
    return incidents.register(actor, title=kwargs.pop("title", "VPN drops"), **kwargs)


def vpn_model(ada, **kwargs):
    return incidents.save_incident_model(
        ada,
        name=kwargs.pop("name", "VPN outage"),
        service="VPN",
        category="Network",
        impact=2,
        urgency=1,
        checklist="- Check the concentrator dashboard\n\n* Post a status update\n",
        default_tags="#vpn remote, #Citrix",
        **kwargs,
    )


def fields(incident, *names):
    return [e.field for e in incidents.events(incident) if e.field in names]


# Incident models and checklists


def test_a_model_prefills_a_new_incident_and_gives_it_its_checklist(ada, sam):
    model = vpn_model(ada)
    assert model.checklist == "Check the concentrator dashboard\nPost a status update"
    assert model.default_tags == "#vpn #remote #Citrix"
    incident = register(sam, model=model)
    assert (incident.service, incident.category, incident.priority) == ("VPN", "Network", 2)
    assert [i.text for i in incidents.checklist(incident)] == [
        "Check the concentrator dashboard",
        "Post a status update",
    ]
    chosen = register(sam, model=model, impact=3, urgency=3, service="Citrix")
    assert (chosen.service, chosen.priority) == ("Citrix", 5)  # what the person chose wins


def test_only_admins_keep_models_and_bad_ones_are_refused(ada, sam):
    with pytest.raises(Forbidden):
        vpn_model(sam)
    with pytest.raises(Refused, match="#db-slow is not a hashtag"):
        incidents.save_incident_model(ada, name="DB", default_tags="#db-slow")
    with pytest.raises(Refused, match="at most 30 steps"):
        incidents.save_incident_model(ada, name="Long", checklist="\n".join(["step"] * 31))
    with pytest.raises(Refused, match="Impact is 1"):
        incidents.save_incident_model(ada, name="Odd", impact=7)
    vpn_model(ada)
    with pytest.raises(Refused, match="already an incident model called 'VPN outage'"):
        vpn_model(ada)
    assert len(incidents.incident_models()) == 1


def test_ticking_a_step_is_an_event_and_unticking_too(ada, sam, make_user):
    incident = register(sam, model=vpn_model(ada))
    first = incidents.checklist(incident)[0]
    incidents.tick(sam, incident, first.id, True)
    incidents.tick(sam, incident, first.id, True)  # already done: no second event
    assert first.done_at is not None and first.done_by.username == "sam"
    incidents.tick(sam, incident, first.id, False)
    assert first.done_at is None
    assert [e.new for e in incidents.events(incident) if e.field == "checklist"] == [
        "done: Check the concentrator dashboard",
        "not done: Check the concentrator dashboard",
    ]
    other = register(sam)
    with pytest.raises(NotFound):
        incidents.tick(sam, other, first.id, True)
    with pytest.raises(Forbidden):
        incidents.tick(make_user("dina", role="designer"), incident, first.id, True)


# The team


def test_team_roles_change_and_the_owner_stays_on_the_team(sam, make_user):
    lee, kim = make_user("lee"), make_user("kim")
    incident = register(sam, owner=lee)
    assert incident.owner_id == lee.id
    incidents.add_member(sam, incident, kim, "scribe")
    incidents.add_member(sam, incident, kim, "liaison")
    roles = {m.user.username: m.role for m in incidents.members(incident)}
    assert roles == {"sam": "commander", "lee": "member", "kim": "liaison"}
    with pytest.raises(Refused, match="owns"):
        incidents.remove_member(sam, incident, lee)
    incidents.remove_member(sam, incident, kim)
    assert "kim" not in {m.user.username for m in incidents.members(incident)}
    changes = [(e.old, e.new) for e in incidents.events(incident) if e.field == "member"]
    assert ("@kim (scribe)", "@kim (liaison)") in changes and ("@kim (liaison)", None) in changes
    with pytest.raises(Refused, match="cannot own"):
        register(sam, owner=make_user("dina", role="designer"))


# Parent and children


def test_resolving_a_parent_with_its_children_resolves_the_open_ones(sam):
    parent = register(sam, title="Mail is down")
    new, working, done = (register(sam, title=f"user report {i}") for i in range(3))
    incidents.move(sam, working, "in_progress")
    incidents.move(sam, done, "cancelled")
    for child in (new, working, done):
        incidents.link_parent(sam, child, parent)
    assert incidents.open_children(parent, sam) == [new, working]
    incidents.move(sam, parent, "in_progress")
    incidents.move(
        sam,
        parent,
        "resolved",
        resolution_code="Solved (Permanently)",
        resolution_notes="restarted the mail relay",
        with_children=True,
    )
    assert [c.status for c in (new, working, done)] == ["resolved", "resolved", "cancelled"]
    assert new.resolution_notes == "restarted the mail relay"
    assert fields(new, "status") == ["status", "status"]  # new → in progress → resolved
    assert incidents.open_children(parent, sam) == []


def test_the_offer_after_the_fact_resolves_children_all_or_nothing(sam):
    parent, child = register(sam), register(sam)
    incidents.link_parent(sam, child, parent)
    with pytest.raises(Refused, match="resolution code"):
        incidents.resolve_children(sam, parent, "Fixed itself", "x")
    db.session.refresh(child)
    assert child.status == "new" and fields(child, "status") == []  # its start was undone
    done = incidents.resolve_children(sam, parent, "Solved (Permanently)", "fixed upstream")
    assert done == [child] and child.status == "resolved"


# Following a service; changes reach the home feed


def test_following_a_service_brings_its_incidents_notes_home(sam, make_user, post):
    lee, kim = make_user("lee"), make_user("kim")
    mail, vpn = register(sam, service="Mail"), register(sam, service="VPN")
    earlier = post(sam, "queue is growing", incident=mail)
    follows.follow(lee, "service", incidents.service_named("Mail", create=True).id)
    later = post(kim, "relay restarted", incident=mail)
    post(kim, "not this one", incident=vpn)
    home = [n.id for n in feeds.page(Feed("home"), lee).notes]
    assert home == [later.id, earlier.id]  # delivered on write, and backfilled on follow
    secret = register(sam, service="Mail", restricted=True)
    post(sam, "attacker on the relay", incident=secret)
    assert [n.id for n in feeds.page(Feed("home"), lee).notes] == [later.id, earlier.id]


def test_changes_to_followed_incidents_and_services_show_in_the_home_feed(sam, make_user):
    lee = make_user("lee")
    followed, other = register(sam, service="Mail"), register(sam, service="VPN")
    follows.follow(lee, "incident", followed.id)
    incidents.move(sam, followed, "in_progress")
    incidents.move(sam, other, "in_progress")
    events = feeds.page(Feed("home"), lee).events
    assert [(e.number, e.field, e.new) for e in events] == [
        (followed.number, "status", "in_progress"),
        (followed.number, "registered", followed.number),
    ]
    follows.follow(lee, "service", incidents.service_named("VPN", create=True).id)
    numbers = {e.number for e in feeds.page(Feed("home"), lee).events}
    assert numbers == {followed.number, other.number}
    secret = register(sam, service="VPN", restricted=True)
    incidents.move(sam, secret, "in_progress")
    numbers = {e.number for e in feeds.page(Feed("home"), lee).events}
    assert secret.number not in numbers
    assert feeds.page(Feed("home"), sam).events == []  # sam follows nothing


def test_a_home_page_shows_the_changes_of_the_time_its_notes_cover(sam, make_user, post):
    lee = make_user("lee")
    incident = register(sam)
    follows.follow(lee, "incident", incident.id)
    for i in range(3):
        post(sam, f"note {i}", incident=incident)
    first = feeds.page(Feed("home"), lee, limit=2)
    second = feeds.page(Feed("home"), lee, before=first.older, limit=2)
    assert [e.field for e in first.events] == []
    assert [e.field for e in second.events] == ["registered"]  # older than the first page
    kinds = [type(e).__name__ for e in second.entries()]
    assert kinds == ["NoteView", "EventView"]


# SLA warnings


def p1(sam, **kwargs):
    incident = register(sam, impact=1, urgency=1, **kwargs)  # respond 15 min, resolve 4 h
    incident.registered_at = utcnow() - timedelta(minutes=12)
    db.session.commit()
    return incident


def sla_notes(user):
    return [(n.kind, n.incident_id) for n in notifications.inbox(user)]


def test_followers_and_the_owner_hear_once_when_an_sla_is_about_to_breach(sam, make_user):
    lee, kim = make_user("lee"), make_user("kim")
    incident = p1(sam, service="Mail")
    follows.follow(lee, "incident", incident.id)
    follows.follow(kim, "service", incidents.service_named("Mail", create=True).id)
    assert incidents.warn_sla() == 3
    assert incidents.warn_sla() == 0  # never twice
    for person in (sam, lee, kim):
        db.session.refresh(person)
        assert sla_notes(person) == [("sla_respond", incident.id)]
        assert person.unread_count == 1
    later = utcnow() + timedelta(hours=3, minutes=30)
    incidents.acknowledge(sam, incident)
    assert incidents.warn_sla(now=later) == 3
    assert {k for k, _ in sla_notes(lee)} == {"sla_respond", "sla_resolve"}


def test_no_warning_with_time_to_spare_or_long_after_or_for_closed_incidents(sam):
    fresh = register(sam, impact=1, urgency=1)
    assert incidents.warn_sla() == 0  # 15 minutes left of 15
    assert incidents.warn_sla(now=utcnow() + timedelta(days=30)) == 0  # long breached
    incidents.move(sam, fresh, "cancelled")
    assert incidents.warn_sla(now=utcnow() + timedelta(minutes=13)) == 0


def test_sla_warnings_about_restricted_incidents_reach_their_team_only(sam, make_user):
    lee, kim = make_user("lee"), make_user("kim")
    incident = p1(sam)
    follows.follow(lee, "incident", incident.id)
    incidents.add_member(sam, incident, kim)
    follows.follow(kim, "incident", incident.id)
    incident.restricted = True
    db.session.commit()
    incidents.warn_sla()
    assert sla_notes(lee) == [] and sla_notes(kim) == [("sla_respond", incident.id)]
    assert db.session.query(Notification).filter_by(user_id=lee.id).count() == 0


# Background duties


def test_one_runner_leads_and_another_takes_over_when_it_stops(ctx):
    ran: list[str] = []
    done = threading.Event()

    def duty(name):
        def run():
            ran.append(name)
            done.set()

        return [jobs.Duty("count", 0.05, run)]

    first = jobs.Runner(ctx, duty("first"), tick=0.02)
    second = jobs.Runner(ctx, duty("second"), tick=0.02)
    first.start()
    assert first.leading.wait(5)
    second.start()
    time.sleep(0.3)
    assert not second.leading.is_set() and set(ran) == {"first"}
    first.stop()
    assert second.leading.wait(5)
    done.clear()
    assert done.wait(5) and ran[-1] == "second"
    second.stop()


def test_the_runner_sends_sla_warnings_from_its_own_thread(ctx, sam, make_user):
    lee = make_user("lee")
    incident = p1(sam)
    follows.follow(lee, "incident", incident.id)
    db.session.commit()
    runner = jobs.Runner(ctx, tick=0.02)
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not sla_notes(lee):
            db.session.commit()
            time.sleep(0.05)
    finally:
        runner.stop()
    assert sla_notes(lee) == [("sla_respond", incident.id)]
    assert db.session.get(User, lee.id).unread_count == 1
    assert db.session.query(IncidentEvent).count() >= 1


def test_an_incidents_hashtags_are_counted_from_the_notes_one_may_see(sam, make_user, post):
    from app import tags

    lee = make_user("lee")
    incident = register(sam)
    post(sam, "#VPN flaps again", incident=incident)
    post(lee, "#vpn and #dns", incident=incident)
    post(sam, "#dns elsewhere")
    counts = [(t.display, n) for t, n in tags.incident_tags(incident.id, lee)]
    assert counts == [("VPN", 2), ("dns", 1)]
    secret = register(sam, restricted=True)
    post(sam, "#breach", incident=secret)
    assert tags.incident_tags(secret.id, lee) == []
    assert [t.display for t, _ in tags.incident_tags(secret.id, sam)] == ["breach"]
