"""Quick actions in notes: parsed from their own lines, applied all-or-nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import accounts, incidents, quick_actions
from app.errors import Forbidden, Refused
from app.extensions import db
from app.itil import DEFAULT_POLICY
from app.models import Note
from app.quick_actions import QuickAction


def test_commands_are_read_from_their_own_lines_only():
    text = (
        "restarted the pool\n/status resolved\n/assign @lee\nsee /status in the docs\n/etc is full"
    )
    assert quick_actions.parse(text) == [
        QuickAction("status", "resolved"),
        QuickAction("assign", "@lee"),
    ]
    assert (
        quick_actions.prose(text) == "restarted the pool\n\n\nsee /status in the docs\n/etc is full"
    )


@pytest.fixture
def sam(make_user):
    return make_user("sam")


def notes_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Note))


def test_quick_actions_change_the_incident_and_the_note_keeps_its_text(sam, make_user, post):
    lee = make_user("lee")
    incident = incidents.register(sam, title="DB failover", impact=3, urgency=3)
    incidents.move(sam, incident, "in_progress")
    text = "flipped to replica\n/priority 1 2\n/assign @lee\n/workaround use the replica DSN"
    note = post(sam, text, incident=incident)
    assert note.text == text
    assert (incident.priority, incident.owner_id) == (2, lee.id)
    assert incident.workaround == "use the replica DSN"
    post(sam, "replica promoted, all green\n/status resolved", incident=incident)
    assert incident.status == "resolved"
    assert incident.resolution_notes == "replica promoted, all green"
    assert [e.field for e in incidents.events(incident)][-1] == "status"


def test_an_illegal_action_posts_nothing_and_changes_nothing(sam, post):
    incident = incidents.register(sam, title="Badge readers")
    with pytest.raises(Refused, match="cannot move to closed"):
        post(sam, "done?\n/assign @sam\n/status closed", incident=incident)
    assert notes_count() == 0 and incident.status == "new"


def test_an_action_the_author_may_not_take_posts_nothing(sam, make_user, post):
    incident = incidents.register(sam, title="Wiki down")
    with pytest.raises(Forbidden):
        post(make_user("dina", role="designer"), "/major", incident=incident)
    assert notes_count() == 0 and not incident.major


def test_quick_actions_need_an_incident(sam, post):
    with pytest.raises(Refused, match="work on an incident"):
        post(sam, "/status resolved")


def test_resolving_needs_words_saying_what_fixed_it(sam, post):
    incident = incidents.register(sam, title="SSO loop")
    incidents.move(sam, incident, "in_progress")
    with pytest.raises(Refused, match="Resolution notes"):
        post(sam, "/status resolved", incident=incident)


def test_preview_describes_what_will_happen_and_changes_nothing(sam):
    incident = incidents.register(sam, title="SSO loop")
    before = len(incidents.events(incident))
    text = "/priority 2 1\n/major"
    lines = quick_actions.describe(sam, incident, quick_actions.parse(text), text)
    assert lines == ["Set impact 2, urgency 1: P2", f"Declare {incident.number} a major incident"]
    assert (incident.priority, incident.major) == (DEFAULT_POLICY.priority(3, 3), False)
    assert len(incidents.events(incident)) == before
    with pytest.raises(Refused, match="impact and urgency"):
        quick_actions.describe(sam, incident, quick_actions.parse("/priority high"), "")


@pytest.mark.parametrize(
    "who,text,refusal",
    [
        ("sam", "/status resolved", "Resolution notes"),  # nothing says what fixed it
        ("sam", "/assign @dina", "cannot own incidents"),
        ("dina", "/major", "managers"),
        ("sam", "/link INC0999999", "no incident INC0999999"),
        ("sam", "/workaround", "needs the workaround"),
    ],
)
def test_preview_refuses_what_posting_would_refuse(sam, make_user, post, who, text, refusal):
    make_user("dina", role="designer")
    incident = incidents.register(sam, title="Kiosk frozen")
    before = len(incidents.events(incident))
    actor = sam if who == "sam" else accounts.get_user(who)
    with pytest.raises(Refused, match=refusal):
        quick_actions.describe(actor, incident, quick_actions.parse(text), text)
    with pytest.raises(Refused, match=refusal):
        post(actor, text, incident=incident)
    assert notes_count() == 0 and len(incidents.events(incident)) == before


def test_link_and_major_apply_and_show_as_events(sam, post):
    parent = incidents.register(sam, title="Wi-Fi down on floor 3")
    child = incidents.register(sam, title="Cannot connect")
    post(sam, f"same outage\n/link {parent.number}\n/major", incident=child)
    db.session.refresh(child)
    assert child.parent_id == parent.id and child.major
    changed = {e.field for e in incidents.events(child)}
    assert {"parent", "major"} <= changed


def test_resolving_a_new_incident_starts_work_on_it_first(sam, post):
    incident = incidents.register(sam, title="Kiosk frozen")
    post(sam, "power-cycled the kiosk\n/status resolved", incident=incident)
    statuses = [(e.old, e.new) for e in incidents.events(incident) if e.field == "status"]
    assert statuses == [("new", "in_progress"), ("in_progress", "resolved")]
    assert incident.acknowledged_at is not None


def test_a_mistyped_command_is_caught_and_a_path_is_not():
    from app.quick_actions import near_misses

    assert near_misses("tried again\n/stauts resolved") == [("stauts", "status")]
    assert near_misses("/asign @lee\n/prority 1 1") == [
        ("asign", "assign"),
        ("prority", "priority"),
    ]
    assert near_misses("/etc is full\n/var/log too\n/status resolved") == []
