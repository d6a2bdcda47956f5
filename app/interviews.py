"""Interview requests: a researcher asks the responders who know a pattern best for a
short interview, from the pattern in a report. The researcher picks them as the report
names them (P-03 in a pseudonymised report): who they are stays inside I2I, and the
researcher learns a name only once that person says yes."""

from __future__ import annotations

from sqlalchemy import select

from app import notifications, reports
from app.clock import utcnow
from app.database import increment, write_transaction
from app.errors import Forbidden, NotFound, Refused
from app.extensions import db
from app.models import InterviewRequest, Notification, User

MAX_QUESTION = 1000


def ask(researcher: User, job_id: int, key: str, names: list[str], question: str) -> int:
    """Ask the people named `names` (among those who know pattern `key` of report
    `job_id` best) for an interview about it; returns how many were asked."""
    if not researcher.has_role("researcher"):
        raise Forbidden("Interview requests are sent by researchers.")
    question = (question or "").strip()
    if not question or len(question) > MAX_QUESTION:
        raise Refused(f"Write what you would ask, in at most {MAX_QUESTION:,} characters.")
    _job, pattern = reports.pattern_of(researcher, job_id, key)
    chosen = [name for name in dict.fromkeys(names) if name in pattern["follow_up"]]
    if not chosen:
        raise Refused("Choose people among those who know this pattern best.")
    asked = 0
    with write_transaction():
        for name in chosen:
            person = db.session.scalars(
                select(User).where(User.username == reports.who_is(job_id, name))
            ).first()
            if person is None or person.id == researcher.id:
                continue
            request = InterviewRequest(
                researcher_id=researcher.id,
                person_id=person.id,
                pattern_title=pattern["reading"][:200],
                pattern={"key": key, "report": job_id, "as": name},
                question=question,
                why=(
                    "You are among the people who know this pattern best in I2I's notes"
                    f" (by your notes and incidents about it): {pattern['reading']}"
                ),
                state="pending",
            )
            db.session.add(request)
            db.session.flush()
            _notify(person.id, "interview", request, researcher.id)
            asked += 1
    return asked


def answer(person: User, request_id: int, yes: bool) -> InterviewRequest:
    """Accept or decline an interview request; the researcher hears which."""
    request = db.session.get(InterviewRequest, request_id)
    if request is None or request.person_id != person.id:
        raise NotFound("No such interview request.")
    if request.state != "pending":
        raise Refused(f"You have already answered ({request.state}).", status=409)
    with write_transaction():
        request = db.session.get(InterviewRequest, request_id)
        request.state = "accepted" if yes else "declined"
        request.answered_at = utcnow()
        # No actor: a decline must not tell the researcher who declined.
        _notify(request.researcher_id, "interview_answer", request, None)
    return request


def _notify(user_id: int, kind: str, request: InterviewRequest, actor_id: int | None) -> None:
    if not notifications.wants(db.session.get(User, user_id), kind):
        return  # muted: the request is still listed under /interviews
    db.session.add(
        Notification(user_id=user_id, kind=kind, interview_id=request.id, actor_id=actor_id)
    )
    increment(User, user_id, "unread_count")


def received(person: User) -> list[InterviewRequest]:
    return list(
        db.session.scalars(
            select(InterviewRequest)
            .where(InterviewRequest.person_id == person.id)
            .order_by(InterviewRequest.id.desc())
        )
    )


def sent(researcher: User) -> list[dict]:
    """The requests `researcher` sent: the person by the name the report gave them, and
    by their own name only once they accepted."""
    rows = db.session.scalars(
        select(InterviewRequest)
        .where(InterviewRequest.researcher_id == researcher.id)
        .order_by(InterviewRequest.id.desc())
    )
    return [
        {
            "request": r,
            "who": r.person.username if r.state == "accepted" else r.pattern.get("as", "—"),
        }
        for r in rows
    ]
