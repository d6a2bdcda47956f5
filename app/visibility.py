"""Who may see which note and incident: the one rule, in every form its callers need.

The rule (DESIGN §4): a restricted incident (security, say) is visible only to its team
(`incident_members`) and to admins; a note written in one goes with it. A retracted note
is hidden from every feed, count and search, and kept for audit: only its author and
admins may still read what it said. Everything else is visible to every signed-in person.

The same rule, written once here, comes in the shapes callers need:
- `can_see_incident`, `can_see_note`, `may_read_versions`: one record at a time (pages);
- `visible_notes_clause`, `visible_incidents_clause`: SQL for feeds, lists and counts;
- `hidden_incidents`: the few restricted incidents a viewer may not see, as ids and
  numbers: the search mask, links in note text, events that name another incident, and
  the analysis scope (`app/analysis.py` hands it to `insights/` as plain data);
- `Access`: the rule over a set of incidents and people at once, for bulk writes.
Nothing else in the app tests `restricted` or team membership (a test walks the code).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Boolean, ColumnElement, Integer, and_, bindparam, exists, or_, select, true

from app.extensions import db
from app.models import Incident, IncidentEvent, IncidentMember, Note, User

ADMIN = "admin"


def may_see(restricted: bool, viewer_is_admin: bool, viewer_is_member: bool) -> bool:
    """The rule itself, on plain facts."""
    return not restricted or viewer_is_admin or viewer_is_member


def is_admin(viewer: User | None) -> bool:
    return viewer is not None and viewer.role == ADMIN


def is_member(user: User, incident_id: int) -> bool:
    """Whether `user` is on the incident's team."""
    query = select(IncidentMember.user_id).where(
        IncidentMember.incident_id == incident_id, IncidentMember.user_id == user.id
    )
    return db.session.scalar(query) is not None


def can_see_incident(viewer: User | None, incident: Incident) -> bool:
    if viewer is None:
        return False
    if not incident.restricted or is_admin(viewer):
        return True
    return is_member(viewer, incident.id)


def can_see_note(viewer: User | None, note: Note) -> bool:
    """Whether `viewer` may open `note` itself (a retracted note shows as a stub)."""
    if viewer is None:
        return False
    if note.incident_id is None:
        return True
    return can_see_incident(viewer, db.session.get(Incident, note.incident_id))


def may_read_versions(viewer: User | None, note: Note) -> bool:
    """Earlier texts of a note: everyone who may see it, but once it is retracted only
    its author and admins (a retracted note is kept for audit, not for reading)."""
    if not can_see_note(viewer, note):
        return False
    return not note.is_retracted or is_admin(viewer) or viewer.id == note.author_id


def is_public(note: Note) -> bool:
    """Whether everyone may see the note (what public counts such as tag pages count)."""
    if note.retracted_at is not None:
        return False
    if note.incident_id is None:
        return True
    return not db.session.get(Incident, note.incident_id).restricted


def counts_as_reply(public: bool, incident_id: int | None, parent_incident_id: int | None) -> bool:
    """Whether a reply counts in its parent's reply count, which all who see the parent
    see: a reply that names a restricted incident the public parent is not on does not."""
    return public or incident_id == parent_incident_id


# SQL


def viewer_params(viewer: User | None) -> dict[str, object]:
    """The values of the clauses' bind parameters for `viewer` (None: the public view)."""
    return {"viewer_id": viewer.id if viewer else None, "viewer_is_admin": is_admin(viewer)}


def visible_notes_clause(viewer: User | None, note=Note) -> ColumnElement[bool]:
    """A WHERE clause on `Note` (or an alias of it, `note`: a reply's parent) that keeps the
    notes `viewer` may see in a feed. Its bind parameters (`viewer_id`,
    `viewer_is_admin`) carry the viewer, so a statement built once is reused for anyone by
    passing `viewer_params` of another."""
    values = viewer_params(viewer)
    viewer_id = bindparam("viewer_id", values["viewer_id"], type_=Integer())
    admin = bindparam("viewer_is_admin", values["viewer_is_admin"], type_=Boolean())
    hidden = exists().where(
        Incident.id == note.incident_id, Incident.restricted, ~_on_team(viewer_id)
    )
    return and_(note.retracted_at.is_(None), or_(note.incident_id.is_(None), admin, ~hidden))


def visible_incidents_by_params(incident=Incident) -> ColumnElement[bool]:
    """`visible_incidents_clause` for a viewer given by `viewer_params`, for statements
    built once and run for anyone (the incident links of a feed page; `incident`: an
    alias of `Incident`, the incident a note card names)."""
    viewer_id = bindparam("viewer_id", type_=Integer())
    admin = bindparam("viewer_is_admin", type_=Boolean())
    return or_(incident.restricted.is_(False), admin, _on_team(viewer_id, incident))


def visible_incidents_clause(viewer: User | None) -> ColumnElement[bool]:
    """A WHERE clause on `Incident`: all but the restricted ones `viewer` is not on."""
    if is_admin(viewer):
        return true()
    return or_(Incident.restricted.is_(False), _on_team(viewer.id if viewer else None))


def _on_team(viewer_id, incident=Incident) -> ColumnElement[bool]:
    """EXISTS: the viewer (an id or a bind parameter) is on the team of `incident`."""
    return exists().where(
        IncidentMember.incident_id == incident.id, IncidentMember.user_id == viewer_id
    )


# The few hidden incidents


@dataclass(frozen=True)
class Hidden:
    """The restricted incidents a viewer may not see: usually few, so a mask of these is
    cheaper than a filter of the many visible ones, and its cost does not grow with the
    data."""

    ids: frozenset[int] = frozenset()
    numbers: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.ids)


def hidden_incidents(viewer: User | None) -> Hidden:
    """What `viewer` may not see (None: what every signed-in person may not see)."""
    if is_admin(viewer):
        return Hidden()
    query = select(Incident.id, Incident.number).where(
        Incident.restricted.is_(True), ~visible_incidents_clause(viewer)
    )
    rows = db.session.execute(query).all()
    return Hidden(frozenset(r.id for r in rows), frozenset(r.number for r in rows))


def seen_restricted(viewer: User | None) -> frozenset[int]:
    """The restricted incidents `viewer` may see and everyone else may not: what an
    analysis made by `viewer` may have drawn on (an insight promoted from it carries
    them, and shows only to those who may see them all)."""
    return hidden_incidents(None).ids - hidden_incidents(viewer).ids


def may_see_all(viewer: User | None, incident_ids: Iterable[int]) -> bool:
    """Whether `viewer` may see every one of these incidents."""
    wanted = set(incident_ids)
    return not wanted or not (wanted & hidden_incidents(viewer).ids)


def visible_numbers(viewer: User | None, numbers: Iterable[str]) -> set[str]:
    """Which of these incident numbers name an incident `viewer` may see (unknown
    numbers and hidden incidents alike are left out, so neither tells the other apart)."""
    wanted = {n.upper() for n in numbers}
    if not wanted:
        return set()
    query = select(Incident.number).where(
        Incident.number.in_(wanted), visible_incidents_clause(viewer)
    )
    return set(db.session.scalars(query))


def events_naming_visible(
    viewer: User, events: list[IncidentEvent], link_fields: tuple[str, ...]
) -> list[IncidentEvent]:
    """The events but those whose value names an incident `viewer` may not see."""
    named = {v for e in events if e.field in link_fields for v in (e.old, e.new) if v}
    if not named:
        return events
    seen = visible_numbers(viewer, named)
    return [
        e
        for e in events
        if e.field not in link_fields or all(v is None or v in seen for v in (e.old, e.new))
    ]


# The rule over many incidents at once (bulk writes)


@dataclass
class Access:
    """Restriction and teams of a set of incidents, read in two queries: the rule for the
    thousands of notes of an import without a query per note."""

    restricted: set[int] = field(default_factory=set)
    members: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    admins: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, incident_ids: Iterable[int | None]) -> Access:
        wanted = {i for i in incident_ids if i is not None}
        access = cls()
        if not wanted:
            return access
        access.restricted = set(
            db.session.scalars(
                select(Incident.id).where(Incident.id.in_(wanted), Incident.restricted)
            )
        )
        if access.restricted:
            team = select(IncidentMember.incident_id, IncidentMember.user_id).where(
                IncidentMember.incident_id.in_(access.restricted)
            )
            for incident_id, user_id in db.session.execute(team):
                access.members[incident_id].add(user_id)
            access.admins = set(db.session.scalars(select(User.id).where(User.role == ADMIN)))
        return access

    def is_public(self, incident_id: int | None) -> bool:
        return incident_id not in self.restricted

    def may_see(self, user_id: int, incident_id: int | None) -> bool:
        return may_see(
            incident_id in self.restricted,
            user_id in self.admins,
            user_id in self.members.get(incident_id, ()),
        )
