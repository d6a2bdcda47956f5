"""A small demo organisation: people of every role and notes written from real operators' text.

Note text comes from GitHub's public status-page history (see shared/data/README.md;
text by GitHub). Components become CamelCase hashtags, as a responder would write them.
The full simulated organisation with planted patterns builds on this.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import regex

from app import accounts
from app.models import Note, utcnow
from app.notes import MAX_LENGTH, post_note
from app.text import hashtag_for

DEMO_PASSWORD = "incident-to-insight"  # noqa: S105 - the demo is public by design
PEOPLE = [
    ("ada", "Ada Admin", "admin"),
    ("maria", "Maria Manager", "manager"),
    ("omar", "Omar Okafor", "manager"),
    ("dina", "Dina Designer", "designer"),
    ("rui", "Rui Researcher", "researcher"),
    ("sam", "Sam Singh", "responder"),
    ("lee", "Lee Laurent", "responder"),
    ("kim", "Kim Kowalski", "responder"),
    ("noor", "Noor Nasser", "responder"),
    ("ravi", "Ravi Rao", "responder"),
]
# Drifting spellings responders really use, so the tag pages and aliases have something to show.
DRIFT = ["#pwreset", "#PasswordReset", "#password_reset", "#selfservice", "#SelfService"]
DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "github-status-history"
HTML = regex.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Update:
    text: str
    components: tuple[str, ...]


def load_updates(folder: Path = DATA) -> list[Update]:
    """Plain-text status updates with the names of the components they touched."""
    updates = []
    for path in sorted((folder / "incidents").glob("*.json")):
        incident = json.loads(path.read_text())["incident"]
        names = tuple(c["name"] for c in incident.get("components") or [])
        for update in incident.get("incident_updates") or []:
            body = (update.get("body") or "").strip()
            if body and not HTML.search(body) and len(body) < MAX_LENGTH - 60:
                updates.append(Update(body, names))
    return updates


def build_demo(
    *,
    notes: int,
    seed: int,
    days: int,
    progress: Callable[[Iterable, int, str], object] | None = None,
) -> str:
    if accounts.find_user(PEOPLE[0][0]) is not None:
        return "The demo organisation is already built; nothing to do."
    rng = random.Random(seed)
    people = [
        accounts.create_user(u, display_name=n, role=r, password=DEMO_PASSWORD)
        for u, n, r in PEOPLE
    ]
    updates = load_updates() if DATA.exists() else []
    updates = updates or [Update("Investigating elevated error rates on sign-in.", ("Login",))]
    now = utcnow()
    start = now - timedelta(days=days)
    times = sorted(_working_time(rng, start, now) for _ in range(notes))
    recent: list[Note] = []
    wrap = progress or (lambda items, length, label: nullcontext(items))
    with wrap(range(notes), notes, "Writing demo notes") as steps:
        for i in steps:
            author = rng.choice(people[3:] if rng.random() < 0.85 else people)
            text = _note_text(rng, rng.choice(updates), people, author.username)
            reply_to = rng.choice(recent[-10:]) if recent and rng.random() < 0.2 else None
            recent.append(post_note(author, text, posted_at=times[i], reply_to=reply_to))
    opened = _incidents(rng, people)
    return (
        f"Built the demo: {len(people)} people, {notes} notes over {days} days, "
        f"{opened} open incidents. "
        f"Sign in as any of {', '.join(p.username for p in people)} "
        f"with the password {DEMO_PASSWORD!r}."
    )


# A few incidents in flight, so that a newcomer lands in a living site.
INCIDENTS = [
    (
        "Patient records slow at shift change",
        "EPR",
        2,
        1,
        [
            "password resets piling up at 07:00 #pwreset",
            "users asking for resets they could do in the self-service portal #SelfService",
        ],
    ),
    (
        "VPN drops every few minutes for remote staff",
        "VPN",
        2,
        2,
        ["tunnel resets at :05 past the hour #VPN", "/workaround reconnect with the wired profile"],
    ),
    (
        "Ward printers offline in building C",
        "Printing",
        3,
        2,
        ["spooler restarted, queue draining #printing"],
    ),
]


def _incidents(rng: random.Random, people) -> int:
    from app import incidents

    responders = [p for p in people if p.role == "responder"]
    for title, service, impact, urgency, lines in INCIDENTS:
        owner = rng.choice(responders)
        incident = incidents.register(
            owner, title=title, service=service, impact=impact, urgency=urgency
        )
        incidents.move(owner, incident, "in_progress")
        for line in lines:
            post_note(rng.choice(responders), line, incident=incident)
    return len(INCIDENTS)


def _working_time(rng: random.Random, start, end):
    """A time with a daily rhythm: most notes in working hours, some at night."""
    while True:
        moment = start + (end - start) * rng.random()
        hour_weight = 1.0 if 7 <= moment.hour < 19 else 0.25
        weekday_weight = 1.0 if moment.weekday() < 5 else 0.4
        if rng.random() < hour_weight * weekday_weight:
            return moment


def _note_text(rng: random.Random, update: Update, people, author: str) -> str:
    tags = [t for t in map(hashtag_for, update.components[:2]) if 1 < len(t) <= 25]
    if rng.random() < 0.25:
        tags.append(rng.choice(DRIFT))
    mention = ""
    if rng.random() < 0.15:
        other = rng.choice([p for p in people if p.username != author])
        mention = f" cc @{other.username}"
    text = f"{update.text}{mention} {' '.join(tags)}".strip()
    return text[:MAX_LENGTH]
