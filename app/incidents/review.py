"""The post-incident review of a major incident (ITIL's review step): drafted from the
incident's timeline, its detection, diagnosis and repair marked on its notes, what the
responders noticed about users, follow-up actions with owners, then signed off by a
manager, which sets the incident's `reviewed_at`."""

from __future__ import annotations

from datetime import datetime

import regex
from sqlalchemy import select

from app import visibility
from app.clock import utcnow
from app.database import write_transaction
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.incidents.history import log_change
from app.incidents.sla import sla
from app.incidents.team import require_worker
from app.itil import Policy
from app.models import (
    MILESTONES,
    Incident,
    IncidentReview,
    Note,
    ReviewAction,
    ReviewMilestone,
    User,
)

MAX_TEXT = 8000
ABOUT_USERS = regex.compile(
    r"\b(users?|callers?|customers?|patients?|staff|clinicians?|people|someone|they)\b",
    regex.IGNORECASE,
)


def review_of(incident: Incident) -> IncidentReview | None:
    return db.session.scalars(
        select(IncidentReview).where(IncidentReview.incident_id == incident.id)
    ).first()


def may_review(incident: Incident) -> bool:
    """A review is for a major (or P1) incident once it is resolved or closed."""
    return (incident.major or incident.priority == 1) and incident.status in ("resolved", "closed")


def draft(actor: User, incident: Incident, policy: Policy) -> IncidentReview:
    """Start the review, pre-filled from the incident's record and notes."""
    require_worker(actor)
    if not may_review(incident):
        raise Refused("A review is drafted for a major or P1 incident once it is resolved.")
    if review_of(incident) is not None:
        raise Refused("This incident's review is already drafted.", status=409)
    notes = _notes(incident, actor)
    clock = sla(incident, policy)
    with write_transaction():
        review = IncidentReview(
            incident_id=incident.id,
            summary=_summary(incident),
            impact=(
                f"Impact {incident.impact}, urgency {incident.urgency} (P{incident.priority})."
                f" Respond-by {'missed' if clock.respond_breached else 'met'},"
                f" resolve-by {'missed' if clock.resolve_breached else 'met'}."
            ),
            users_noticed="\n".join(
                f"- {n.author.username}: {n.text}" for n in notes if ABOUT_USERS.search(n.text)
            )[:MAX_TEXT],
            drafted_by_id=actor.id,
        )
        db.session.add(review)
        db.session.flush()
        if notes:
            first = notes[0]
            db.session.add(
                ReviewMilestone(
                    review_id=review.id, kind="detection", note_id=first.id, at=first.sort_at
                )
            )
        log_change(incident, actor, "review", None, "drafted")
    return review


def _summary(incident: Incident) -> str:
    parts = [f"{incident.title}."]
    if incident.service:
        parts.append(f"Service: {incident.service}.")
    if incident.acknowledged_at:
        parts.append(
            f"Acknowledged after {_span(incident.registered_at, incident.acknowledged_at)}."
        )
    if incident.resolved_at:
        parts.append(f"Resolved after {_span(incident.registered_at, incident.resolved_at)}.")
    if incident.resolution_notes:
        parts.append(incident.resolution_notes)
    return " ".join(parts)[:MAX_TEXT]


def _span(start: datetime, end: datetime) -> str:
    minutes = max(int((end - start).total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _notes(incident: Incident, viewer: User) -> list[Note]:
    return list(
        db.session.scalars(
            select(Note)
            .where(Note.incident_id == incident.id, visibility.visible_notes_clause(viewer))
            .order_by(Note.sort_at, Note.id)
        )
    )


def notes_of(incident: Incident, viewer: User) -> list[Note]:
    """The incident's notes `viewer` may read, oldest first (milestones are marked on them)."""
    return _notes(incident, viewer)


def _review(incident: Incident) -> IncidentReview:
    review = review_of(incident)
    if review is None:
        raise NotFound("This incident has no review yet.")
    return review


def _text(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_TEXT:
        raise Refused(f"{what} is at most {MAX_TEXT:,} characters.")
    return value


def save(
    actor: User,
    incident: Incident,
    *,
    summary: str,
    impact: str,
    users_noticed: str,
    milestones: dict[str, int | None],
) -> IncidentReview:
    """Keep the review's texts and its milestones (each on one of the incident's notes)."""
    require_worker(actor)
    review = _review(incident)
    if review.signed_off_at is not None:
        raise Refused("The review is signed off; it no longer changes.", status=409)
    notes = {n.id: n for n in _notes(incident, actor)}
    for kind, note_id in milestones.items():
        if kind not in MILESTONES:
            raise Refused(f"No such milestone: {kind[:20]!r}.")
        if note_id is not None and note_id not in notes:
            raise Refused("A milestone is marked on one of this incident's notes.")
    with write_transaction():
        review = db.session.get(IncidentReview, review.id)
        review.summary = _text(summary, "The summary")
        review.impact = _text(impact, "The impact")
        review.users_noticed = _text(users_noticed, "What responders noticed")
        review.updated_at = utcnow()
        for kind, note_id in milestones.items():
            row = db.session.get(ReviewMilestone, (review.id, kind))
            if note_id is None:
                if row is not None:
                    db.session.delete(row)
                continue
            if row is None:
                db.session.add(
                    ReviewMilestone(
                        review_id=review.id, kind=kind, note_id=note_id, at=notes[note_id].sort_at
                    )
                )
            else:
                row.note_id, row.at = note_id, notes[note_id].sort_at
    return review


def add_action(actor: User, incident: Incident, text: str, owner: User | None) -> ReviewAction:
    require_worker(actor)
    review = _review(incident)
    text = (text or "").strip()
    if not text or len(text) > 300:
        raise Refused("An action is 1 to 300 characters.")
    with write_transaction():
        action = ReviewAction(review_id=review.id, text=text, owner_id=owner.id if owner else None)
        db.session.add(action)
    return action


def complete_action(actor: User, incident: Incident, action_id: int) -> None:
    require_worker(actor)
    review = _review(incident)
    with write_transaction():
        action = db.session.get(ReviewAction, action_id)
        if action is None or action.review_id != review.id:
            raise NotFound("No such action.")
        action.done_at = action.done_at or utcnow()


def sign_off(manager: User, incident: Incident) -> IncidentReview:
    """A manager signs the review off: the incident is reviewed as of now."""
    if not manager.has_role("manager"):
        raise Forbidden("A manager signs a review off.")
    review = _review(incident)
    if review.signed_off_at is not None:
        raise Refused("The review is already signed off.", status=409)
    now = utcnow()
    with write_transaction():
        review = db.session.get(IncidentReview, review.id)
        review.signed_off_by_id, review.signed_off_at = manager.id, now
        row = db.session.get(Incident, incident.id)
        row.reviewed_at = now
        log_change(row, manager, "reviewed_at", None, now.isoformat(timespec="minutes"))
    return review


def milestones(review: IncidentReview) -> dict[str, ReviewMilestone]:
    rows = db.session.scalars(select(ReviewMilestone).where(ReviewMilestone.review_id == review.id))
    return {row.kind: row for row in rows}


def actions(review: IncidentReview) -> list[ReviewAction]:
    return list(
        db.session.scalars(
            select(ReviewAction)
            .where(ReviewAction.review_id == review.id)
            .order_by(ReviewAction.id)
        )
    )


def document(incident: Incident, review: IncidentReview, viewer: User, policy: Policy) -> dict:
    """The review as plain data, for its page and its exports."""
    marked = milestones(review)
    clock = sla(incident, policy)
    return {
        "number": incident.number,
        "title": incident.title,
        "service": incident.service,
        "priority": incident.priority,
        "status": incident.status,
        "registered_at": incident.registered_at,
        "resolved_at": incident.resolved_at,
        "sla": {
            "respond": "missed" if clock.respond_breached else "met",
            "resolve": "missed" if clock.resolve_breached else "met",
        },
        "summary": review.summary,
        "impact": review.impact,
        "users_noticed": review.users_noticed,
        "milestones": [
            {
                "kind": kind,
                "at": marked[kind].at,
                "note": marked[kind].note.text if marked[kind].note else None,
                "by": marked[kind].note.author.username if marked[kind].note else None,
            }
            for kind in MILESTONES
            if kind in marked
        ],
        "actions": [
            {"text": a.text, "owner": a.owner.username if a.owner else None, "done": a.done_at}
            for a in actions(review)
        ],
        "drafted_by": review.drafted_by.username,
        "signed_off_by": review.signed_off_by.username if review.signed_off_by else None,
        "signed_off_at": review.signed_off_at,
    }
