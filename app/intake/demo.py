"""`i2i demo`: store the simulated organisation (`app.intake.simulate`) and its ground truth.

The named demo accounts (ada, maria, …) can sign in with DEMO_PASSWORD; the simulated
colleagues are accounts that cannot. Incidents are written in bulk with their events and
teams, notes through `app.bulk` (the rows posting writes), so a large organisation builds
in seconds. The planted patterns go to `<I2I_INSTANCE_DIR>/demo-ground-truth.json`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, func, insert, select, update

from app import accounts, follows, incidents, tags
from app.database import write_transaction
from app.extensions import db
from app.intake import bulk
from app.intake.bulk import NoteDraft
from app.intake.records import store_incidents
from app.intake.simulate import SERVICES, IncidentSpec, PersonSpec, World, simulate, week_start
from app.intake.summary import progress_or_none
from app.models import Incident, IncidentMember, Note, User, utcnow

DEMO_PASSWORD = "incident-to-insight"  # noqa: S105 - the demo is public by design
PEOPLE = [
    PersonSpec("ada", "Ada Admin", "admin", "security"),
    PersonSpec("maria", "Maria Manager", "manager", "service-desk"),
    PersonSpec("omar", "Omar Okafor", "manager", "infrastructure"),
    PersonSpec("dina", "Dina Designer", "designer", ""),
    PersonSpec("rui", "Rui Researcher", "researcher", ""),
    PersonSpec("sam", "Sam Singh", "responder", "clinical-apps"),
    PersonSpec("lee", "Lee Laurent", "responder", "network"),
    PersonSpec("kim", "Kim Kowalski", "responder", "identity"),
    PersonSpec("noor", "Noor Nasser", "responder", "service-desk"),
    PersonSpec("ravi", "Ravi Rao", "responder", "infrastructure"),
]
TRUTH_FILE = "demo-ground-truth.json"
BATCH = 2_000


def build_demo(
    *,
    notes: int,
    seed: int,
    days: int,
    instance_dir: Path,
    progress: Callable[[Iterable, int, str], object] | None = None,
    end: datetime | None = None,
) -> str:
    """Store the simulated organisation; its ground truth goes to `instance_dir`."""
    if accounts.find_user(PEOPLE[0].username) is not None:
        return "The demo organisation is already built; nothing to do."
    end = end or week_start(utcnow())
    world = simulate(notes=notes, seed=seed, days=days, end=end, named=PEOPLE)
    for person in PEOPLE:
        accounts.create_user(
            person.username,
            role=person.role,
            password=DEMO_PASSWORD,
            display_name=person.display_name,
        )
    people = accounts.ensure_accounts({p.username for p in world.people})
    _name_colleagues(world, people)
    numbers = _store_incidents(world.incidents, people)
    _store_notes(world, people, numbers, progress)
    _follow_a_few(world)
    truth = instance_dir / TRUTH_FILE
    truth.write_text(json.dumps(world.truth.as_json(), indent=2) + "\n", encoding="utf-8")
    still_open = sum(1 for i in world.incidents if i.status in incidents.OPEN)
    return (
        f"Built the demo: {len(world.people)} people, {len(world.notes)} notes over {days} "
        f"days, {len(world.incidents)} incidents ({still_open} open); planted patterns in "
        f"{truth}. Sign in as any of {', '.join(p.username for p in PEOPLE)} with the "
        f"password {DEMO_PASSWORD!r}."
    )


def _name_colleagues(world: World, people: dict[str, int]) -> None:
    names = [
        {"row_id": people[p.username], "name": p.display_name}
        for p in world.people
        if p not in PEOPLE
    ]
    table = User.__table__
    statement = update(table).where(table.c.id == bindparam("row_id"))
    with write_transaction():
        db.session.execute(statement.values(display_name=bindparam("name")), names)


def _events(spec: IncidentSpec) -> list[dict]:
    """The changes an incident went through, as its timeline shows them."""
    events = [
        {
            "at": spec.registered_at,
            "actor": spec.reporter,
            "field": "registered",
            "old": None,
            "new": spec.number,
        }
    ]
    moves = [("new", "in_progress", spec.acknowledged_at)]
    if spec.reopened_at is not None:
        moves += [
            ("in_progress", "resolved", spec.first_resolved_at),
            ("resolved", "in_progress", spec.reopened_at),
        ]
    moves += [
        ("in_progress", "resolved", spec.resolved_at),
        ("resolved", "closed", spec.closed_at),
    ]
    if spec.cancelled_at is not None:
        was = "in_progress" if spec.acknowledged_at else "new"
        moves.append((was, "cancelled", spec.cancelled_at))
    if spec.parent is not None:
        events.append(
            {
                "at": spec.acknowledged_at or spec.registered_at,
                "actor": spec.owner,
                "field": "parent",
                "old": None,
                "new": spec.parent,
            }
        )
    for old, new, at in moves:
        if at is not None:
            events.append(
                {"at": at, "actor": spec.owner, "field": "status", "old": old, "new": new}
            )
    if spec.status == "on_hold":
        events.append(
            {
                "at": spec.acknowledged_at,
                "actor": spec.owner,
                "field": "status",
                "old": "in_progress",
                "new": "on_hold",
            }
        )
    return events


def _store_incidents(specs: list[IncidentSpec], people: dict[str, int]) -> dict[str, int]:
    records = [
        {
            "incident": {
                "number": s.number,
                "title": s.title,
                "category": s.category,
                "subcategory": s.subcategory,
                "description": s.description,
                "service": s.service,
                "impact": s.impact,
                "urgency": s.urgency,
                "priority": s.priority,
                "status": s.status,
                "assignment_group": s.group,
                "owner": s.owner,
                "reporter": s.reporter,
                "source": "manual",
                "major": s.priority == 1 and s.status not in ("closed", "cancelled"),
                "restricted": s.restricted,
                "resolution_code": "Solved (Permanently)" if s.resolved_at else None,
                "detected_at": s.registered_at,
                "registered_at": s.registered_at,
                "acknowledged_at": s.acknowledged_at,
                "resolved_at": s.resolved_at,
                "closed_at": s.closed_at,
                "reassignment_count": 0,
                "reopen_count": int(s.reopened_at is not None),
                "made_sla": s.made_sla,
                "on_hold_reason": "waiting for the vendor" if s.status == "on_hold" else None,
            },
            "events": _events(s),
        }
        for s in specs
    ]
    for start in range(0, len(records), BATCH):
        store_incidents(records[start : start + BATCH])
    numbers = dict(db.session.execute(select(Incident.number, Incident.id)).all())
    children = [
        {"row_id": numbers[s.number], "parent": numbers[s.parent]} for s in specs if s.parent
    ]
    table = Incident.__table__
    with write_transaction():
        if children:
            statement = update(table).where(table.c.id == bindparam("row_id"))
            db.session.execute(statement.values(parent_id=bindparam("parent")), children)
        for profile in SERVICES:  # every service exists, followed or not
            incidents.service_named(profile.name, create=True)
    members = [
        {
            "incident_id": numbers[s.number],
            "user_id": people[name],
            "role": "commander" if name == s.owner else "member",
            "joined_at": s.registered_at,
        }
        for s in specs
        for name in dict.fromkeys(s.team)
    ]
    with write_transaction():
        for start in range(0, len(members), BATCH):
            db.session.execute(insert(IncidentMember.__table__), members[start : start + BATCH])
    return numbers


def _store_notes(world: World, people, numbers, progress) -> None:
    ordered = sorted(world.notes, key=lambda n: (n.posted_at, n.key))
    base = (db.session.scalar(select(func.max(Note.id))) or 0) + 1
    ids = {note.key: base + rank for rank, note in enumerate(ordered)}
    drafts = [
        NoteDraft(
            people[n.author],
            n.text,
            n.posted_at,
            incident_id=numbers.get(n.incident) if n.incident else None,
            note_id=ids[n.key],
            reply_to_id=ids[n.reply_to] if n.reply_to is not None else None,
        )
        for n in ordered
    ]
    wrap = progress_or_none(progress)
    with wrap(range(len(drafts)), len(drafts), "Writing notes") as bar:
        for start in range(0, len(drafts), BATCH):
            with write_transaction():
                bulk.post_notes(drafts[start : start + BATCH])
            bar.update(len(drafts[start : start + BATCH]))
    bulk.move_note_sequence()


def _follow_a_few(world: World) -> None:
    """Give the named accounts something to follow, so their home feeds are alive."""
    named = {p.username: accounts.find_user(p.username) for p in PEOPLE}
    for username, tag in [
        ("dina", "password_reset"),
        ("dina", "selfservice"),
        ("rui", "portal"),
        ("maria", "mfa_fatigue"),
    ]:
        found = tags.find_tag(tag)
        if found is not None:
            follows.follow(named[username], "tag", tags.canonical(found).id)
    for username, other in [("sam", "lee"), ("lee", "sam"), ("kim", "noor"), ("noor", "kim")]:
        follows.follow(named[username], "user", named[other].id)
    for username, service in [("maria", "Patient Records"), ("omar", "VPN")]:
        follows.follow(named[username], "service", incidents.service_named(service, create=True).id)
