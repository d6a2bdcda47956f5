"""The insight board: patterns promoted to insights that designers act on.

An insight keeps its evidence as a snapshot (the reading, figures and quoted notes when
it was promoted) and its pattern (kind and key), so the board can check whether the
pattern still holds in fresh data, and whether a shipped one faded after. Its status
moves new → investigating → accepted → in design → shipped, or to rejected with a reason
(and back from rejected to new); each move tells its watchers.

An insight carries the restricted incidents its source analysis could draw on
(`visibility.seen_restricted` of the report's author); it shows only to people who may
see them all, through `visibility.may_see_all`.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from app import notifications, reports, visibility
from app.clock import utcnow
from app.database import increment, write_transaction
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.models import (
    INSIGHT_STATUSES,
    Hashtag,
    Incident,
    IncidentReview,
    Insight,
    InsightComment,
    InsightWatcher,
    Note,
    NoteTag,
    Notification,
    User,
)

STATUS_NAMES = {
    "new": "New",
    "investigating": "Investigating",
    "accepted": "Accepted",
    "in_design": "In design",
    "shipped": "Shipped",
    "rejected": "Rejected",
}
WORKFLOW = ("new", "investigating", "accepted", "in_design", "shipped")
BOARD_ROLES = ("researcher", "designer", "manager")  # and admins
KIND = "insight_status"  # the notification a watcher gets of a move
MAX_TEXT = 4000


def may_change(viewer: User) -> bool:
    return viewer.has_role(*BOARD_ROLES)


def _check_changer(viewer: User) -> None:
    if not may_change(viewer):
        raise Forbidden("The board is kept by researchers, designers and managers.")


def _text(value: str | None, what: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Refused(f"{what} is empty.")
    if len(value) > limit:
        raise Refused(f"{what} is at most {limit:,} characters.")
    return value


def promote_from_report(
    viewer: User, job_id: int, key: str, title: str | None = None, summary: str | None = None
) -> Insight:
    """Promote pattern `key` of report `job_id` to an insight, its evidence kept."""
    _check_changer(viewer)
    job, pattern = reports.pattern_of(viewer, job_id, key)
    document = pattern.pop("report")
    owner = db.session.get(User, job.owner_id)
    evidence = {
        "reading": pattern["reading"],
        "figures": pattern["figures"],
        "q": pattern["q"],
        "notes": pattern["notes"],
        "note_count": pattern["note_count"],
        "people_count": pattern["people_count"],
        "report": {"job": job.id, "title": document["title"], "period": document["period"]},
        "requires": sorted(visibility.seen_restricted(owner)),
    }
    return _add(
        viewer,
        kind=pattern["kind"],
        pattern={"key": key, "tags": pattern["tags"], "scope": document["scope"]},
        evidence=evidence,
        title=title or pattern["reading"][:200],
        summary=summary or "",
    )


MAX_NOTES = 20


def promote_notes(viewer: User, note_ids: list[int], title: str, summary: str = "") -> Insight:
    """Promote a set of notes (read as `viewer` may read them) to an insight."""
    _check_changer(viewer)
    wanted = sorted(set(note_ids))[:MAX_NOTES]
    if not wanted:
        raise Refused("Choose the notes to promote.")
    notes = db.session.scalars(
        select(Note)
        .where(Note.id.in_(wanted), visibility.visible_notes_clause(viewer))
        .order_by(Note.sort_at, Note.id)
    ).all()
    if len(notes) != len(wanted):
        raise NotFound("Some of those notes are not there for you.")
    tags = sorted({t for n in notes for t in _tags_of(n)})
    hidden = visibility.hidden_incidents(None).ids
    evidence = {
        "reading": f"{len(notes)} note{'s' if len(notes) != 1 else ''} chosen by {viewer.username}",
        "figures": {"notes": len(notes)},
        "q": None,
        "notes": [
            {
                "id": n.id,
                "text": n.text,
                "person": n.author.username,
                "at": n.sort_at.isoformat(timespec="minutes"),
            }  # fmt: skip
            for n in notes
        ],
        "note_count": len(notes),
        "people_count": len({n.author_id for n in notes}),
        "requires": sorted({n.incident_id for n in notes if n.incident_id in hidden}),
    }
    key = "notes:" + ",".join(str(n.id) for n in notes)
    return _add(
        viewer,
        kind="notes",
        pattern={"key": key, "tags": tags[:5], "scope": {}},
        evidence=evidence,
        title=title,
        summary=summary,
    )


def _tags_of(note: Note) -> list[str]:
    return list(
        db.session.scalars(
            select(Hashtag.key)
            .join(NoteTag, NoteTag.tag_id == Hashtag.id)
            .where(NoteTag.note_id == note.id)
        )
    )


def promote_review(viewer: User, incident: Incident, review: IncidentReview) -> Insight:
    """Promote what a post-incident review found about users to an insight."""
    _check_changer(viewer)
    found = (review.users_noticed or "").strip()
    if not found:
        raise Refused("The review says nothing yet about what responders noticed of users.")
    tags = db.session.scalars(
        select(Hashtag.key)
        .join(NoteTag, NoteTag.tag_id == Hashtag.id)
        .join(Note, Note.id == NoteTag.note_id)
        .where(Note.incident_id == incident.id)
        .group_by(Hashtag.key)
        .order_by(func.count().desc())
        .limit(3)
    ).all()
    evidence = {
        "reading": found,
        "figures": {"incident": incident.number, "priority": incident.priority},
        "q": None,
        "notes": [],
        "note_count": 0,
        "people_count": 0,
        "review": {"incident": incident.number, "title": incident.title},
        "requires": sorted(visibility.hidden_incidents(None).ids & {incident.id}),
    }
    return _add(
        viewer,
        kind="review",
        pattern={"key": f"review:{incident.number}", "tags": list(tags), "scope": {}},
        evidence=evidence,
        title=f"From the review of {incident.number}: {incident.title}"[:200],
        summary=found[:MAX_TEXT],
        incident_id=incident.id,
    )


def _add(viewer: User, *, kind: str, pattern: dict, evidence: dict, title: str, summary: str,
         incident_id: int | None = None) -> Insight:  # fmt: skip
    title = _text(title, "The title", 200)
    summary = _text(summary, "The summary", MAX_TEXT, required=False)
    with write_transaction():
        last = db.session.scalar(select(func.max(Insight.position)).where(Insight.status == "new"))
        insight = Insight(
            title=title,
            summary=summary,
            kind=kind,
            pattern=pattern,
            evidence=evidence,
            status="new",
            position=(last or 0) + 1,
            owner_id=viewer.id,
            created_by_id=viewer.id,
            incident_id=incident_id,
        )
        db.session.add(insight)
        db.session.flush()
        db.session.add(InsightWatcher(insight_id=insight.id, user_id=viewer.id))
    return insight


def visible(viewer: User, insight: Insight) -> bool:
    return visibility.may_see_all(viewer, insight.evidence.get("requires", []))


def get(viewer: User, insight_id: int) -> Insight:
    insight = db.session.get(Insight, insight_id)
    if insight is None or not visible(viewer, insight):
        raise NotFound("No such insight.")
    return insight


def board(viewer: User) -> dict[str, list[Insight]]:
    """The insights `viewer` may see, by status, in their order."""
    columns: dict[str, list[Insight]] = {status: [] for status in INSIGHT_STATUSES}
    hidden = visibility.hidden_incidents(viewer).ids
    rows = db.session.scalars(select(Insight).order_by(Insight.position, Insight.id))
    for insight in rows:
        if not set(insight.evidence.get("requires", [])) & hidden:
            columns[insight.status].append(insight)
    return columns


def move(viewer: User, insight_id: int, status: str, reason: str | None = None) -> Insight:
    """Move an insight to `status` (rejected needs a reason); its watchers hear of it."""
    _check_changer(viewer)
    insight = get(viewer, insight_id)
    if status not in INSIGHT_STATUSES:
        raise Refused(f"No such status: {status[:40]!r}.")
    if status == insight.status:
        return insight
    reason = _text(reason, "The reason", MAX_TEXT, required=status == "rejected")
    with write_transaction():
        insight = db.session.get(Insight, insight_id)
        before = insight.status
        last = db.session.scalar(select(func.max(Insight.position)).where(Insight.status == status))
        insight.status, insight.position = status, (last or 0) + 1
        insight.status_changed_at = utcnow()
        insight.reject_reason = reason if status == "rejected" else None
        if status == "shipped":
            insight.shipped_at = utcnow()
        detail = f"{STATUS_NAMES[before]} → {STATUS_NAMES[status]}"
        if reason:
            detail += f": {reason}"
        _tell_watchers(insight, viewer, detail[:300])
    return insight


def step(viewer: User, insight_id: int, direction: int) -> Insight:
    """Move an insight one column along the workflow (the keyboard's ← and →)."""
    insight = get(viewer, insight_id)
    if insight.status not in WORKFLOW:
        raise Refused("A rejected insight goes back to New first.")
    at = WORKFLOW.index(insight.status) + (1 if direction > 0 else -1)
    if not 0 <= at < len(WORKFLOW):
        raise Refused("It is already at that end of the board.")
    return move(viewer, insight_id, WORKFLOW[at])


def _tell_watchers(insight: Insight, actor: User, detail: str) -> None:
    watchers = db.session.scalars(
        select(InsightWatcher.user_id).where(InsightWatcher.insight_id == insight.id)
    )
    for user_id in watchers:
        if user_id == actor.id or not notifications.wants(db.session.get(User, user_id), KIND):
            continue
        db.session.add(
            Notification(
                user_id=user_id,
                kind=KIND,
                insight_id=insight.id,
                actor_id=actor.id,
                detail=detail,
            )
        )
        increment(User, user_id, "unread_count")


def comment(viewer: User, insight_id: int, body: str) -> InsightComment:
    insight = get(viewer, insight_id)
    body = _text(body, "The comment", MAX_TEXT)
    with write_transaction():
        note = InsightComment(insight_id=insight.id, author_id=viewer.id, body=body)
        db.session.add(note)
    return note


def comments(insight: Insight) -> list[InsightComment]:
    return list(
        db.session.scalars(
            select(InsightComment)
            .where(InsightComment.insight_id == insight.id)
            .order_by(InsightComment.id)
        )
    )


def watch(viewer: User, insight_id: int, on: bool) -> bool:
    """Start or stop watching an insight; returns whether `viewer` now watches it."""
    insight = get(viewer, insight_id)
    with write_transaction():
        row = db.session.get(InsightWatcher, (insight.id, viewer.id))
        if on and row is None:
            db.session.add(InsightWatcher(insight_id=insight.id, user_id=viewer.id))
        elif not on and row is not None:
            db.session.delete(row)
    return on


def watchers(insight: Insight) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(InsightWatcher, InsightWatcher.user_id == User.id)
            .where(InsightWatcher.insight_id == insight.id)
            .order_by(User.username)
        )
    )


def holding(insight: Insight, fresh_keys: set[str] | None, since_shipped: set[str] | None) -> str:
    """Whether an insight's pattern still holds: "holds", "faded" (a shipped insight
    whose pattern has gone since), "not seen lately", or "checking" (no fresh result)."""
    key = insight.pattern["key"]
    if insight.kind == "review":
        return "a finding of a post-incident review"
    if insight.kind == "notes":
        return "a set of notes"
    if insight.status == "shipped" and since_shipped is not None:
        return "faded after shipping" if key not in since_shipped else "still there after shipping"
    if fresh_keys is None:
        return "checking"
    return "holds in the last 30 days" if key in fresh_keys else "not seen in the last 30 days"


def as_markdown(columns: dict[str, list[Insight]]) -> str:
    """The board as a design backlog in Markdown: a heading per status, an item per insight."""
    lines = ["# Insight board", ""]
    for status, items in columns.items():
        lines += [f"## {STATUS_NAMES[status]} ({len(items)})", ""]
        for insight in items:
            lines.append(f"- **{_md(insight.title)}** ({insight.kind}; `{insight.pattern['key']}`)")
            if insight.summary:
                lines.append(f"  {_md(insight.summary)}")
            lines.append(f"  Evidence: {_md(insight.evidence.get('reading', ''))}")
            if insight.reject_reason:
                lines.append(f"  Rejected: {_md(insight.reject_reason)}")
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    """Text as literal Markdown: no markup of its own, no raw HTML, on one line."""
    escaped = "".join("\\" + c if c in "\\`*_[]<>#|!" else c for c in text)
    return " ".join(escaped.split())


def as_csv(columns: dict[str, list[Insight]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "status", "title", "kind", "pattern", "summary", "evidence",
                     "owner", "created_at", "status_changed_at", "reject_reason"])  # fmt: skip
    for status, items in columns.items():
        for i in items:
            writer.writerow(
                [
                    i.id,
                    status,
                    _cell(i.title),
                    i.kind,
                    i.pattern["key"],
                    _cell(i.summary),
                    _cell(i.evidence.get("reading", "")),
                    i.owner.username if i.owner else "",
                    i.created_at.isoformat(),
                    i.status_changed_at.isoformat(),
                    _cell(i.reject_reason or ""),
                ]  # fmt: skip
            )
    return out.getvalue()


def _cell(text: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
