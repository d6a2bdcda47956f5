"""A simulated organisation: teams, services, incidents and the notes responders write,
with patterns planted on purpose and written down, so that analysis can be scored.

Everything is drawn from one `random.Random(seed)` over a period that ends at `end`, so
the same seed and end give the same organisation. The world is generated as plain data
first (`simulate`), then stored in bulk (`app.intake.demo`), and the planted patterns are the
ground truth (`Truth`), written as JSON next to the data.

What is planted (sizes chosen to be realistic, not blatant):
- bursts: a tag that many distinct people (3–20) use within a day or two, e.g. password
  resets under time pressure on the patient-records service at a shift change;
- an emerging tag: first seen a few days before the end, used by more people each day;
- alias drift: #pwreset gives way to #password_reset from a switch day on;
- tag↔tag: #selfservice written with #portal (users asking for what they could do
  themselves in the portal);
- tag↔attribute: #token_expiry concentrated on one service and priority, with longer
  resolution times;
- lead–lag: #cert_warning notes precede #sso_outage notes by hours;
- recurring teams: groups of people who work incidents together again and again;
and background noise (steady everyday tags) that must not be reported as any of these.
"""

from __future__ import annotations

import itertools
import math
import random
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from app.itil import DEFAULT_POLICY

FIRST_NAMES = [
    "Amara",
    "Ben",
    "Chen",
    "Dara",
    "Eli",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Jo",
    "Kai",
    "Lena",
    "Milo",
    "Nia",
    "Otto",
    "Pia",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Vik",
    "Wen",
    "Xavi",
    "Yara",
    "Zane",
    "Abe",
    "Bea",
    "Cato",
    "Dev",
]
LAST_NAMES = [
    "Adams",
    "Berg",
    "Costa",
    "Diaz",
    "Evans",
    "Fox",
    "Gray",
    "Hale",
    "Ito",
    "Jones",
    "Khan",
    "Lund",
    "Moss",
    "Nagy",
    "Ortiz",
    "Park",
    "Quist",
    "Reyes",
    "Silva",
    "Tan",
]


@dataclass(frozen=True)
class ServiceProfile:
    name: str
    team: str
    per_day: float  # incidents a weekday
    impact: tuple[int, int, int]  # weights of impact 1, 2, 3
    tags: tuple[str, ...]  # what responders write about it
    category: str


SERVICES = (
    ServiceProfile(
        "Patient Records",
        "clinical-apps",
        2.2,
        (2, 5, 3),
        ("#EPR", "#login", "#slow"),
        "Software",
    ),
    ServiceProfile(
        "Self-service Portal",
        "service-desk",
        1.8,
        (1, 3, 6),
        ("#portal", "#howto", "#access_request"),
        "Inquiry / Help",
    ),
    ServiceProfile("VPN", "network", 1.2, (1, 4, 5), ("#vpn", "#remote", "#tunnel"), "Network"),
    ServiceProfile("Email", "infrastructure", 1.0, (1, 3, 6), ("#mail", "#queue"), "Software"),
    ServiceProfile("Wi-Fi", "network", 1.0, (1, 3, 6), ("#wifi", "#ward"), "Network"),
    ServiceProfile(
        "Printing", "service-desk", 1.4, (0, 2, 8), ("#printing", "#spooler"), "Hardware"
    ),
    ServiceProfile(
        "Single Sign-On", "identity", 0.9, (2, 4, 4), ("#sso", "#mfa", "#login"), "Security"
    ),
    ServiceProfile(
        "Lab Results", "clinical-apps", 0.8, (1, 4, 5), ("#lab", "#interface", "#hl7"), "Software"
    ),
)
TEAMS = ("service-desk", "clinical-apps", "network", "infrastructure", "identity", "security")
# Everyday chatter at steady rates: the noise that no analysis should report.
NOISE_TAGS = ("#handover", "#fyi", "#coffee", "#shiftnotes", "#kb")
PHRASES = {
    "#EPR": ["EPR sessions hanging on the ward PCs", "patient list takes 40 s to load"],
    "#login": ["users cannot log in", "login loops back to the start page"],
    "#slow": ["everything slow since the morning", "response times doubled"],
    "#portal": ["caller wanted a form that is in the portal", "portal page times out"],
    "#howto": ["walked the caller through it", "sent the KB link"],
    "#access_request": ["access request stuck in approval", "asked for a shared folder"],
    "#vpn": ["tunnel drops for remote staff", "VPN client reconnects every few minutes"],
    "#remote": ["home workers affected", "only users off site"],
    "#tunnel": ["tunnel renegotiates at :05", "IPsec rekey failing"],
    "#mail": ["mail delayed for an hour", "outbound mail stuck"],
    "#queue": ["queue at 12k and growing", "queue draining now"],
    "#wifi": ["wards 3 and 4 lost Wi-Fi", "roaming fails between floors"],
    "#ward": ["nurses on ward 7 reporting it", "affects the night ward"],
    "#printing": ["ward printers offline", "labels print blank"],
    "#spooler": ["spooler restarted", "print queue purged"],
    "#sso": ["SSO redirect loop", "token not accepted by the app"],
    "#mfa": ["MFA prompts not arriving", "push approvals delayed"],
    "#lab": ["lab results missing in the chart", "results arrive twice"],
    "#interface": ["interface engine backlog", "feed paused"],
    "#hl7": ["HL7 messages rejected", "ACK timeouts from the lab system"],
}
NOISE_PHRASES = ["handed over to the night shift", "note for the team", "updated the KB article"]


@dataclass
class PersonSpec:
    username: str
    display_name: str
    role: str
    team: str


@dataclass
class IncidentSpec:
    number: str
    title: str
    service: str
    group: str  # the assignment group: the team that looks after the service
    category: str
    impact: int
    urgency: int
    status: str
    owner: str
    reporter: str
    team: list[str]
    registered_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    made_sla: bool | None
    subcategory: str | None = None
    description: str | None = None
    reopened_at: datetime | None = None  # resolved once before, then reopened
    first_resolved_at: datetime | None = None
    cancelled_at: datetime | None = None
    parent: str | None = None  # "many user reports, one incident": the one
    restricted: bool = False  # security: only its team (and admins) see it

    @property
    def priority(self) -> int:
        return DEFAULT_POLICY.priority(self.impact, self.urgency)


@dataclass
class NoteSpec:
    key: int  # its position in the stream (becomes an id offset)
    author: str
    posted_at: datetime
    text: str
    incident: str | None = None
    reply_to: int | None = None  # the key of the note replied to


@dataclass
class Truth:
    """The planted patterns, as analysis should find them (written as JSON)."""

    seed: int
    start: str
    end: str
    bursts: list[dict] = field(default_factory=list)
    emerging: list[dict] = field(default_factory=list)
    alias_drift: list[dict] = field(default_factory=list)
    tag_pairs: list[dict] = field(default_factory=list)
    tag_attributes: list[dict] = field(default_factory=list)
    lead_lag: list[dict] = field(default_factory=list)
    teams: list[dict] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)
    # Must not trend: a weekly meeting's tag at its usual hour, one person flooding a tag.
    seasonal: list[dict] = field(default_factory=list)
    floods: list[dict] = field(default_factory=list)
    # Restricted incidents: their notes are seen by their teams only, so an analysis run
    # for anyone else must not report what they hold (#phishing, say).
    restricted: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class World:
    people: list[PersonSpec]
    incidents: list[IncidentSpec]
    notes: list[NoteSpec]
    truth: Truth


def simulate(*, notes: int, seed: int, days: int, end: datetime, named: list[PersonSpec]) -> World:
    """Generate the organisation (plain data; nothing is stored here). `notes` is a target:
    the planted patterns need about 120 notes of their own, so a smaller target gets those."""
    return _Builder(notes, seed, days, end, named).build()


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 (UTC) of the moment's week: where the demo's period ends, so that one
    seed builds the same organisation all week, and a week later the same one a week later
    (hours and weekdays keep their rhythm only under whole-week shifts)."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _busiest_hour(times: list[datetime]) -> datetime:
    """The start of the clock hour with the most of `times` (the earliest of equals)."""
    hours = Counter(t.replace(minute=0, second=0, microsecond=0) for t in times)
    return min(hours, key=lambda hour: (-hours[hour], hour))


def _busy(moment: datetime) -> float:
    """How busy an hour is: working hours on weekdays most, nights and weekends least."""
    hour = 1.0 if 7 <= moment.hour < 18 else 0.35 if 18 <= moment.hour < 23 else 0.1
    return hour * (1.0 if moment.weekday() < 5 else 0.35)


class _Builder:
    def __init__(self, notes: int, seed: int, days: int, end: datetime, named):
        self.rng = random.Random(seed)
        self.seed = seed
        self.keys = itertools.count()  # notes' keys (some notes are dropped later)
        self.target = notes
        self.days = days
        self.end = end.replace(second=0, microsecond=0)
        self.start = self.end - timedelta(days=days)
        self.people = list(named) + self._more_people(named)
        self.by_team = {t: [p.username for p in self.people if p.team == t] for t in TEAMS}
        self.incidents: list[IncidentSpec] = []
        self.notes: list[NoteSpec] = []
        self.truth = Truth(seed, self.start.isoformat(), self.end.isoformat())
        self.crews = self._recurring_crews()

    # People and crews

    def _more_people(self, named) -> list[PersonSpec]:
        taken = {p.username for p in named}
        extra = []
        for i, team in enumerate(TEAMS * 6):
            first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i * 7) % len(LAST_NAMES)]
            username = f"{first}.{last}".lower()
            if username in taken:
                continue
            taken.add(username)
            extra.append(PersonSpec(username, f"{first} {last}", "responder", team))
        return extra

    def _recurring_crews(self) -> dict[str, list[str]]:
        """Groups of 3–5 people who work a team's incidents together again and again."""
        crews = {}
        for team in ("identity", "clinical-apps", "network"):
            members = sorted(self.rng.sample(self.by_team[team], self.rng.randint(3, 4)))
            crews[team] = members
            self.truth.teams.append({"team": team, "members": members})
        return crews

    # Time

    def _moment(self, day: float | None = None) -> datetime:
        """A time with daily and weekly rhythms (busy mornings, quiet nights and weekends)."""
        while True:
            offset = day if day is not None else self.rng.random() * self.days
            moment = self.start + timedelta(days=offset)
            if self.rng.random() < _busy(moment):
                return moment
            if day is not None:
                day = int(day) + self.rng.random()

    def _within(self, start: datetime, end: datetime) -> datetime:
        """A time between start and end, with the same rhythm where the span allows."""
        moment = start
        for _ in range(12):
            moment = start + (end - start) * self.rng.random()
            if self.rng.random() < _busy(moment):
                break
        return moment

    # Incidents

    def _incident(self, profile: ServiceProfile, at: datetime, **overrides) -> IncidentSpec:
        impact = overrides.pop("impact", None) or self.rng.choices((1, 2, 3), profile.impact)[0]
        urgency = overrides.pop("urgency", None) or self.rng.choice((1, 2, 2, 3, 3))
        slow = overrides.pop("slow", 1.0)
        team = overrides.pop("team", None) or self._crew_for(profile.team)
        priority = DEFAULT_POLICY.priority(impact, urgency)
        respond, resolve = DEFAULT_POLICY.targets(priority)
        acknowledged = at + respond * self.rng.uniform(0.1, 1.3)
        resolved = at + resolve * slow * math.exp(self.rng.gauss(-0.7, 0.6))
        status, closed = "in_progress", None
        if resolved >= self.end:
            resolved = None
            status = self.rng.choice(("in_progress", "in_progress", "on_hold"))
        elif resolved < self.end - timedelta(days=2):
            status, closed = "closed", resolved + timedelta(days=2)
        else:
            status = "resolved"
        if acknowledged >= self.end:
            acknowledged, status = None, "new"
        number = f"INC{len(self.incidents) + 1:07d}"
        incident = IncidentSpec(
            number=number,
            title=overrides.pop("title", None) or f"{profile.name}: {self._symptom(profile)}",
            service=profile.name,
            group=profile.team,
            category=profile.category,
            impact=impact,
            urgency=urgency,
            status=status,
            owner=team[0],
            reporter=self.rng.choice(self.by_team["service-desk"]),
            team=team,
            registered_at=at,
            acknowledged_at=acknowledged,
            resolved_at=resolved,
            closed_at=closed,
            made_sla=None if resolved is None else resolved - at <= resolve,
        )
        self.incidents.append(incident)
        return incident

    def _symptom(self, profile: ServiceProfile) -> str:
        tag = self.rng.choice(profile.tags)
        return self.rng.choice(PHRASES.get(tag, ["users report problems"]))

    def _crew_for(self, team: str) -> list[str]:
        if team in self.crews and self.rng.random() < 0.45:
            crew = list(self.crews[team])
            self.rng.shuffle(crew)
            return crew
        size = self.rng.choice((1, 2, 2, 3))
        return self.rng.sample(self.by_team[team], size)

    # Notes

    def _note(self, author: str, at: datetime, text: str, **kwargs) -> NoteSpec:
        note = NoteSpec(next(self.keys), author, at, text[:500], **kwargs)
        self.notes.append(note)
        return note

    def _incident_notes(self, incident: IncidentSpec, count: int, extra_tags=()) -> None:
        profile = next(s for s in SERVICES if s.name == incident.service)
        until = incident.resolved_at or self.end
        span = max((until - incident.registered_at).total_seconds(), 60.0)
        written: list[NoteSpec] = []
        times = sorted(
            self._within(incident.registered_at, incident.registered_at + timedelta(seconds=span))
            for _ in range(count)
        )
        for at in times:
            author = self.rng.choice(incident.team)
            tag = self.rng.choice(profile.tags)
            text = f"{self.rng.choice(PHRASES.get(tag, ['looking into it']))} {tag}"
            text += "".join(f" {t}" for t in extra_tags)
            if len(incident.team) > 1 and self.rng.random() < 0.2:
                other = self.rng.choice([p for p in incident.team if p != author] or [author])
                text += f" @{other}"
            reply_to = None
            if written and self.rng.random() < 0.25:
                reply_to = self.rng.choice(written).key
            written.append(
                self._note(author, at, text, incident=incident.number, reply_to=reply_to)
            )
        if incident.resolved_at is not None:  # the fix, as a quick action in the last note
            self._note(
                incident.owner,
                incident.resolved_at,
                "fixed, monitoring\n/status resolved",
                incident=incident.number,
            )

    def _background(self, note_budget: int) -> None:
        """Ordinary incidents and chatter, at the services' daily rates."""
        weights = [s.per_day for s in SERVICES]
        while len(self.notes) < note_budget:
            if self.rng.random() < 0.22:
                author = self.rng.choice(self.people).username
                text = f"{self.rng.choice(NOISE_PHRASES)} {self.rng.choice(NOISE_TAGS)}"
                self._note(author, self._moment(), text)
                continue
            profile = self.rng.choices(SERVICES, weights)[0]
            incident = self._incident(profile, self._moment())
            self._incident_notes(incident, self.rng.randint(2, 6))

    # Planted patterns

    def _plant_password_burst(self) -> None:
        """Password resets under time pressure on patient records at a shift change."""
        day = self.start + timedelta(days=int(self.days * 0.55))
        onset = day.replace(hour=6, minute=40)
        profile = SERVICES[0]
        people = self.rng.sample(self.by_team["clinical-apps"] + self.by_team["service-desk"], 12)
        incident = self._incident(
            profile, onset, impact=2, urgency=1, team=people[:3], title="Password resets piling up"
        )
        times = []
        for i, person in enumerate(people):
            at = onset + timedelta(minutes=20 + i * self.rng.uniform(8, 25))
            times.append(at)
            self._note(
                person,
                at,
                "another password reset at shift change, staff locked out of EPR #password_reset",
                incident=incident.number,
            )
        self.truth.bursts.append(
            {
                "tag": "password_reset",
                "onset": onset.isoformat(),
                "peak": _busiest_hour(times).isoformat(),
                "people": sorted(people),
                "service": profile.name,
                "why": "password resets under time pressure at the 07:00 shift change",
            }
        )

    def _plant_vpn_burst(self) -> None:
        """People across teams reporting the same failing VPN concentrator, on its incident."""
        day = self.days * 0.3
        onset = self._moment(day)
        people = self.rng.sample(self.people, 7)
        vpn = next(p for p in SERVICES if p.name == "VPN")
        incident = self._incident(vpn, onset, impact=2, urgency=1, title="VPN: tunnels dropping")
        times = [onset + timedelta(minutes=15 + self.rng.uniform(20, 45) * i) for i in range(7)]
        for person, at in zip(people, times, strict=True):
            self._note(
                person.username,
                at,
                "VPN keeps dropping for me too #vpn_drop",
                incident=incident.number,
            )
        self.truth.bursts.append(
            {
                "tag": "vpn_drop",
                "onset": onset.isoformat(),
                "peak": _busiest_hour(times).isoformat(),
                "people": sorted(p.username for p in people),
                "service": "VPN",
                "why": "a VPN concentrator failing, reported by people across teams",
            }
        )

    def _plant_emerging(self) -> None:
        first = self.end - timedelta(days=4)
        people = [p.username for p in self.rng.sample(self.people, 16)]
        used, step = [], 0
        for day, count in enumerate((1, 2, 4, 7)):
            for person in people[step : step + count]:
                at = self._moment((first - self.start).days + day + self.rng.random() * 0.9)
                self._note(
                    person,
                    min(at, self.end - timedelta(minutes=5)),
                    "MFA push bombing attempt reported #mfa_fatigue",
                )
                used.append(person)
            step += count
        seen = min(n.posted_at for n in self.notes if "#mfa_fatigue" in n.text)
        self.truth.emerging.append(
            {"tag": "mfa_fatigue", "first_seen": seen.isoformat(), "people": sorted(set(used))}
        )

    def _plant_alias_drift(self) -> None:
        switch = self.start + timedelta(days=self.days * 0.4)
        desk = self.by_team["service-desk"]
        for _ in range(max(12, self.target // 400)):
            at = self._moment()
            tag = "#pwreset" if at < switch else "#password_reset"
            self._note(self.rng.choice(desk), at, f"caller needed a password reset {tag}")
        self.truth.alias_drift.append(
            {"from": "pwreset", "to": "password_reset", "switch": switch.isoformat()}
        )

    def _plant_selfservice(self) -> None:
        profile = SERVICES[1]
        for _ in range(max(10, self.target // 300)):
            incident = self._incident(profile, self._moment(), impact=3)
            self._incident_notes(incident, 2, extra_tags=("#selfservice", "#portal"))
        self.truth.tag_pairs.append(
            {
                "tags": ["selfservice", "portal"],
                "why": "users asking for things they could do themselves in the portal",
            }
        )

    def _plant_token_expiry(self) -> None:
        profile = next(s for s in SERVICES if s.name == "Lab Results")
        for _ in range(max(8, self.target // 500)):
            incident = self._incident(profile, self._moment(), impact=2, urgency=1, slow=3.0)
            self._incident_notes(incident, 2, extra_tags=("#token_expiry",))
        self.truth.tag_attributes.append(
            {
                "tag": "token_expiry",
                "service": profile.name,
                "priority": DEFAULT_POLICY.priority(2, 1),
                "outcome": "resolution takes about three times as long",
            }
        )

    def _plant_lead_lag(self) -> None:
        lag = timedelta(hours=6)
        sso = next(s for s in SERVICES if s.name == "Single Sign-On")
        for episode in range(4):
            warned = self._moment(self.days * (0.15 + 0.2 * episode))
            for person in self.rng.sample(self.by_team["infrastructure"], 2):
                self._note(person, warned, "certificate expiry warning on the IdP #cert_warning")
            incident = self._incident(sso, warned + lag, impact=1, urgency=1)
            # the outage is posted on as it is registered: the tag series' lag is the lag
            self._note(
                incident.owner,
                incident.registered_at,
                "SSO logins failing for everyone #sso_outage",
                incident=incident.number,
            )
            self._incident_notes(incident, 3, extra_tags=("#sso_outage",))
        self.truth.lead_lag.append(
            {"leader": "cert_warning", "follower": "sso_outage", "lag_hours": lag.seconds // 3600}
        )

    def _plant_hard_cases(self) -> None:
        """What a trend statistic must get right on a small team, drawn from a random
        stream of its own (the other patterns stay exactly as they were):
        - a change advisory board every Monday at 09:00, eight regulars posting #cab:
          seasonal, so not trending once it has met before;
        - one person posting #diskspace 25 times in two hours: one person, not a trend;
        - a burst as small as four people on #badge_reader within two hours."""
        rng = random.Random(self.seed * 104_729 + 3)
        regulars = sorted(rng.sample([p.username for p in self.people], 8))
        monday = self.start + timedelta(days=(7 - self.start.weekday()) % 7)
        meetings = []
        while monday < self.end - timedelta(hours=2):
            at = monday.replace(hour=9, minute=0)
            for person in regulars:
                self._note(
                    person,
                    at + timedelta(minutes=rng.uniform(2, 55)),
                    "CAB minutes: changes approved for this week #cab",
                )
            meetings.append(at.isoformat())
            monday += timedelta(days=7)
        self.truth.seasonal.append({"tag": "cab", "meetings": meetings, "people": regulars})
        flooder = rng.choice(self.people).username
        flood_at = self.start + timedelta(days=self.days * 0.7, hours=rng.uniform(0, 8))
        flood_at = flood_at.replace(hour=10, minute=0)
        for i in range(25):
            self._note(
                flooder,
                flood_at + timedelta(minutes=i * 4.5),
                f"disk at {90 + i % 10}% on the file server, cleaning up #diskspace",
            )
        self.truth.floods.append(
            {"tag": "diskspace", "person": flooder, "at": flood_at.isoformat(), "notes": 25}
        )
        onset = (self.start + timedelta(days=self.days * 0.8)).replace(hour=8, minute=10)
        people = rng.sample([p.username for p in self.people if p.username not in regulars], 4)
        times = [onset + timedelta(minutes=10 + 25 * i + rng.uniform(0, 10)) for i in range(4)]
        for person, at in zip(people, times, strict=True):
            self._note(
                person, at, "badge reader at the east entrance rejects staff cards #badge_reader"
            )
        self.truth.bursts.append(
            {
                "tag": "badge_reader",
                "onset": onset.isoformat(),
                "peak": _busiest_hour(times).isoformat(),
                "people": sorted(people),
                "service": None,
                "why": "a small burst: four people on one broken badge reader",
            }
        )

    def build(self) -> World:
        for plant in (
            self._plant_password_burst,
            self._plant_vpn_burst,
            self._plant_emerging,
            self._plant_alias_drift,
            self._plant_selfservice,
            self._plant_token_expiry,
            self._plant_lead_lag,
            self._plant_hard_cases,
        ):
            plant()
        planted = len(self.incidents)
        self._background(self.target)
        _Lifecycles(self, random.Random(self.seed * 7919 + 1)).add(self.incidents[planted:])
        self._background(self.target)  # cancelled incidents lost their later notes
        self.truth.noise = [t.lstrip("#").lower() for t in NOISE_TAGS]
        self.notes = [n for n in self.notes if n.posted_at <= self.end]
        return World(self.people, self.incidents, self.notes, self.truth)


class _Lifecycles:
    """What ordinary incidents also go through, drawn from a random stream of its own (so
    the planted patterns stay exactly as they are): a few are reopened after a fix that did
    not hold, a few cancelled as raised twice, the biggest outages gather user reports as
    child incidents, and now and then a security incident is restricted to its team."""

    REOPEN, CANCEL = 0.04, 0.03

    def __init__(self, builder: _Builder, rng: random.Random):
        self.b, self.rng = builder, rng

    def add(self, ordinary: list[IncidentSpec]) -> None:
        """Change some of the `ordinary` incidents (not those of the planted patterns)."""
        ordinary = list(ordinary)
        for incident in ordinary:
            profile = next(p for p in SERVICES if p.name == incident.service)
            incident.subcategory = self.rng.choice(profile.tags).lstrip("#").title()
            incident.description = f"Reported by the service desk: {incident.title.lower()}."
        by_service: dict[str, list[IncidentSpec]] = defaultdict(list)
        for incident in sorted(ordinary, key=lambda i: i.registered_at):
            by_service[incident.service].append(incident)
        cancelled: dict[str, tuple[datetime, str, str]] = {}  # number → when, owner, twin
        for incident in ordinary:
            if incident.resolved_at is not None and self.rng.random() < self.REOPEN:
                self._reopen(incident)
            elif self.rng.random() < self.CANCEL:
                self._cancel(incident, by_service[incident.service], cancelled)
        self._drop_notes_after(cancelled)
        big = [i for i in ordinary if i.priority <= 2 and i.resolved_at and not i.reopened_at]
        for parent in self.rng.sample(big, min(len(big), max(1, len(ordinary) // 120))):
            self._reports(parent)
        for _ in range(max(1, self.b.days // 21)):
            self._restricted()

    def _reopen(self, incident: IncidentSpec) -> None:
        back = incident.resolved_at + timedelta(hours=self.rng.uniform(1, 8))
        again = back + (incident.resolved_at - incident.registered_at) * self.rng.uniform(0.3, 1)
        if again >= self.b.end:
            return
        incident.first_resolved_at, incident.reopened_at = incident.resolved_at, back
        incident.resolved_at = again
        if incident.closed_at is not None:
            incident.closed_at = again + timedelta(days=2)
            if incident.closed_at >= self.b.end:
                incident.closed_at, incident.status = None, "resolved"
        resolve = DEFAULT_POLICY.targets(incident.priority)[1]
        incident.made_sla = again - incident.registered_at <= resolve
        self.b._note(
            incident.owner,
            back,
            "came back after the fix, reopening #reopened\n/status in_progress",
            incident=incident.number,
        )
        self.b._note(
            incident.owner,
            again,
            "fixed for good this time\n/status resolved",
            incident=incident.number,
        )

    def _cancel(
        self,
        incident: IncidentSpec,
        same_service: list[IncidentSpec],
        cancelled: dict[str, tuple[datetime, str, str]],
    ) -> None:
        """Cancel `incident` as a twin of another on its service registered within a day
        (`same_service`: that service's incidents by registration time); its later notes are
        dropped with the others' in one pass."""
        day = timedelta(days=1)
        moments = [i.registered_at for i in same_service]
        near = same_service[
            bisect_right(moments, incident.registered_at - day) : bisect_left(
                moments, incident.registered_at + day
            )
        ]
        same = [i for i in near if i is not incident]
        if not same:
            return
        at = incident.registered_at + timedelta(minutes=self.rng.uniform(5, 40))
        if at >= self.b.end:
            return
        original = self.rng.choice(same)
        incident.status, incident.cancelled_at = "cancelled", at
        if incident.acknowledged_at is not None and incident.acknowledged_at > at:
            incident.acknowledged_at = None
        incident.resolved_at = incident.closed_at = incident.made_sla = None
        cancelled[incident.number] = (at, incident.owner, original.number)

    def _drop_notes_after(self, cancelled: dict[str, tuple[datetime, str, str]]) -> None:
        """Cancelled incidents lose the notes after their cancelling, which ends them."""
        self.b.notes = [
            n
            for n in self.b.notes
            if n.incident not in cancelled or n.posted_at < cancelled[n.incident][0]
        ]
        for number, (at, owner, original) in cancelled.items():
            self.b._note(
                owner,
                at,
                f"raised twice, same as {original}; cancelling\n/status cancelled",
                incident=number,
            )

    def _reports(self, parent: IncidentSpec) -> None:
        """User reports of the same outage, each its own incident, linked to the parent and
        resolved with it."""
        desk = self.b.by_team["service-desk"]
        for _ in range(self.rng.randint(2, 5)):
            at = parent.registered_at + timedelta(minutes=self.rng.uniform(3, 60))
            if at >= parent.resolved_at:
                continue
            person = self.rng.choice(desk)
            child = IncidentSpec(
                number=f"INC{len(self.b.incidents) + 1:07d}",
                title=f"User report: {parent.title.split(': ', 1)[-1]}",
                service=parent.service,
                group="service-desk",
                category=parent.category,
                impact=3,
                urgency=2,
                status=parent.status,
                owner=person,
                reporter=person,
                team=[person],
                registered_at=at,
                acknowledged_at=at + timedelta(minutes=self.rng.uniform(1, 10)),
                resolved_at=parent.resolved_at,
                closed_at=parent.closed_at,
                made_sla=True,
                subcategory=parent.subcategory,
                description="A caller reports the outage.",
                parent=parent.number,
            )
            self.b.incidents.append(child)
            self.b._note(
                person,
                child.acknowledged_at,
                f"caller reports the same, linking\n/link {parent.number}",
                incident=child.number,
            )

    def _restricted(self) -> None:
        """A phishing wave, worked by security behind closed doors."""
        team = self.rng.sample(self.b.by_team["security"], min(3, len(self.b.by_team["security"])))
        at = self.b._moment(self.rng.uniform(0.2, 0.8) * self.b.days)
        incident = self.b._incident(
            next(p for p in SERVICES if p.name == "Email"),
            at,
            impact=2,
            urgency=1,
            team=team,
            title="Email: credential harvesting mails reach staff",
        )
        incident.restricted = True
        incident.subcategory, incident.description = "Phishing", "Security incident; need to know."
        times = sorted(self.rng.uniform(5, 240) for _ in range(self.rng.randint(6, 9)))
        for i, minutes in enumerate(times):  # each of the team writes twice or more
            self.b._note(
                team[i % len(team)],
                at + timedelta(minutes=minutes),
                self.rng.choice(SECRET_PHRASES),
                incident=incident.number,
            )
        self.b.truth.restricted.append(
            {"incident": incident.number, "tags": ["phishing", "credential_reset"], "team": team}
        )


SECRET_PHRASES = (
    "blocked the sender domain at the gateway #phishing",
    "three staff entered passwords, forcing resets #credential_reset #phishing",
    "pulled the mails from all inboxes #phishing",
    "no sign of the harvested accounts being used yet #credential_reset",
)
