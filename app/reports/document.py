"""A pattern report as one plain document: what every format renders (the page, HTML,
PDF, CSV, XLSX and JSON all read this), built from `analysis.report_data` with the
readings in words, the quoted notes (read through the visibility rule), the method, and
people pseudonymised when asked."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from app import readings, visibility
from app.clock import utcnow
from app.extensions import db
from app.intake.alerts import SYSTEM_USER
from app.intake.servicenow import SERVICENOW_ACCOUNT
from app.intake.statuspage import STATUSPAGE_ACCOUNT
from app.models import Incident, Note, User
from app.reports.pseudonyms import pseudonymise

SCHEMA = "i2i-report/1"
SECTION_TITLES = {
    "trends": "Trending, emerging and fading tags",
    "evolving": "Evolving tags",
    "correlations": "Tags that go together and where they land",
    "outcomes": "Tags and how incidents end",
    "lead_lag": "Tags that come before others",
    "people": "Teams that keep forming",
    "notes": "Representative notes",
    "metrics": "Incident metrics",
    "counts": "What the counts alone say",
}
LIMIT = 25  # patterns of one kind a report lists


def reading(pattern: dict) -> str:
    """What a pattern says, in words with its numbers and test."""
    row, kind = pattern["row"], pattern["kind"]
    if kind == "trend":
        return f"#{row['tag']} is trending: {row['why']}"
    if kind == "emerging":
        first = str(row["first_seen"])[:10]
        return f"#{row['tag']} is new (first used {first}) and rising: {row['people']} people."
    if kind == "declining":
        return f"#{row['tag']} is fading: used far less than before (score {row['score']:.1f})."
    if kind == "alias":
        return (
            f"#{row['tag']} looks like another name for #{row['canonical']}: the same people"
            f" on the same kind of incidents, rarely in one note (score {row['score']:.2f})."
        )
    if kind == "pair":
        return readings.pair(row["a"], row["b"], row)
    if kind == "attribute":
        return readings.attribute(row)
    if kind == "outcome":
        return readings.outcome(row["tag"], row)
    if kind == "lead_lag":
        return readings.lead(row)
    tags = ", ".join(f"#{t}" for t in row["tags"]) or "no tag in common"
    services = ", ".join(row.get("services") or []) or "various services"
    return (
        f"A team of {len(row['members'])} keeps forming around {tags} on {services}:"
        f" {', '.join('@' + m for m in row['members'][:8])}."
    )


def compose(
    data: dict,
    params: dict,
    viewer: User | None,
    *,
    incident_pattern: str,
    changes: dict | None = None,
) -> tuple[dict, dict[str, str]]:
    """The report document of `data` (`analysis.report_data`) for `params`, and who is
    who behind its pseudonyms (empty when it names people)."""
    sections = params["sections"]
    patterns = []
    for pattern in data["patterns"]:
        if pattern["section"] not in sections:
            continue
        if sum(p["kind"] == pattern["kind"] for p in patterns) >= LIMIT:
            continue
        patterns.append(
            {
                "key": pattern["key"],
                "kind": pattern["kind"],
                "section": pattern["section"],
                "reading": reading(pattern),
                "tags": pattern["tags"],
                "size": pattern["size"],
                "q": pattern["q"],
                "figures": _figures(pattern["row"]),
                "note_count": pattern["note_count"],
                "people_count": pattern["people_count"],
                "notes": pattern["notes"] if "notes" in sections else [],
                "follow_up": pattern["follow_up"],
            }
        )
    quoted = _quotes(viewer, {n for p in patterns for n in p["notes"]})
    for pattern in patterns:
        pattern["notes"] = [quoted[n] for n in pattern["notes"] if n in quoted]
    document = {
        "schema": SCHEMA,
        "title": params.get("title") or _title(params),
        "period": {"from": params["from"], "to": params["to"]},
        "scope": {k: params[k] for k in ("tags", "services", "teams", "priorities", "incidents")},
        "sections": list(sections),
        "generated": {
            "at": utcnow().isoformat(timespec="seconds"),
            "by": "a researcher"
            if params["pseudonymise"]
            else (viewer.username if viewer else "i2i"),
            "for": "what every signed-in person may see"
            if viewer is None
            else "what its author may see",
        },
        "pseudonymised": params["pseudonymise"],
        "incidents_masked": params["mask_incidents"],
        "totals": data["totals"],
        "patterns": patterns,
        "metrics": data["metrics"] if "metrics" in sections else {},
        "counts": data["counts"] if "counts" in sections else {},
        "changes": changes,
        "method": method(params, data, viewer),
    }
    if not params["pseudonymise"]:
        return document, {}
    return pseudonymise(
        document,
        _people(),
        mask_incidents=params["mask_incidents"],
        incident_pattern=incident_pattern,
    )


def method(params: dict, data: dict, viewer: User | None) -> list[str]:
    """How each figure was computed, over which data, by whom and when."""
    totals = data["totals"]
    lines = [
        f"Period {params['from']} to {params['to']} (UTC days, both included):"
        f" {totals['notes']:,} tagged notes by {totals['people']:,} people with"
        f" {totals['tags']:,} tags; {totals['incidents']:,} incidents registered.",
        "Restricted incidents count only for those who may see them: this report shows "
        + (
            "what every signed-in person may see." if viewer is None else "what its author may see."
        ),
        "Trends: distinct people per tag in the last six hours against a four-week baseline"
        " with hour-of-week seasonality (Poisson tail test, at least four people).",
        "Tag pairs: notes with both tags (NPMI, lift), Fisher's exact test, Benjamini–Hochberg"
        " q < 0.05, at least 3 notes. Tags and incident attributes alike, over the incidents"
        " the tags were written on.",
        "Outcomes: time to resolve compared within each priority (Mann–Whitney U); SLA"
        " breaches and reopening as rates (Fisher's exact test); q by Benjamini–Hochberg.",
        "Lead and lag: how often a tag's rise follows another's within 12 hours, against the"
        " leader's rate at the same hours of the day (binomial test).",
        "Teams: people linked by replies, mentions and shared incidents, recent weighing more;"
        " Louvain communities with a fixed seed.",
        "Representative notes: up to five per pattern, chosen for different people,"
        " incidents and days. Who knows a pattern best: notes, two more per incident, with a"
        " 30-day half-life.",
        "Incident metrics: MTTA and MTTR from registration (means and median), and the share"
        " of incidents that met their SLA, by priority and by service.",
    ]
    if params["pseudonymise"]:
        lines.append(
            "People are pseudonymised (P-01, P-02… stable within this report); names and"
            " @mentions in quoted notes are replaced too."
            + (" Incident numbers are masked (INC-A, INC-B…)." if params["mask_incidents"] else "")
        )
    return lines


def _title(params: dict) -> str:
    scope = [f"#{t}" for t in params["tags"]] + params["services"] + params["teams"]
    about = f" — {', '.join(scope)}" if scope else ""
    return f"Pattern report {params['from']} to {params['to']}{about}"


def _figures(row: dict) -> dict:
    """A pattern row's plain figures (numbers and short values, not lists)."""
    return {
        k: v
        for k, v in row.items()
        if isinstance(v, int | float | str | bool) and k not in ("why",)
    }


def _quotes(viewer: User | None, ids: set[int]) -> dict[int, dict]:
    """The quoted notes that `viewer` may read, by id: text, author, incident, time."""
    if not ids:
        return {}
    worked = aliased(Incident)  # not `Incident`: the visibility clause correlates on it
    rows = db.session.execute(
        select(Note.id, Note.text, Note.sort_at, User.username, worked.number)
        .join(User, User.id == Note.author_id)
        .outerjoin(worked, worked.id == Note.incident_id)
        .where(Note.id.in_(sorted(ids)), visibility.visible_notes_clause(viewer))
    )
    return {
        row.id: {
            "id": row.id,
            "text": row.text,
            "person": row.username,
            "incident": row.number,
            "at": row.sort_at.isoformat(timespec="minutes"),
        }
        for row in rows
    }


# Accounts of systems, not people: the importers' and the alert intake's.
SYSTEM_ACCOUNTS = (SERVICENOW_ACCOUNT, STATUSPAGE_ACCOUNT, SYSTEM_USER)


def _people() -> list[tuple[str, str]]:
    """Everyone whose name a report must not show (system accounts are no one)."""
    query = select(User.username, User.display_name).where(User.username.not_in(SYSTEM_ACCOUNTS))
    return list(db.session.execute(query).tuples())
