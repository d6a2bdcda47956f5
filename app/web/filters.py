"""Template filters: one way to render a note's text and a time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cachetools import LRUCache
from flask import Flask, current_app, g, render_template, url_for
from flask_login import current_user
from markupsafe import Markup

from app import accounts, readings
from app.clock import utcnow
from app.feeds import NoteView
from app.notes import UNDO_WINDOW
from app.text import TagToken, render_note
from app.web.insights import VIEWS as INSIGHT_VIEWS


def note_html(note: NoteView) -> Markup:
    """The note's text with tags, mentions, references and URLs linked; the rest escaped.

    Only people mentioned when the note was written are linked (unknown names stay text),
    and only incidents the viewer may open (the card carries both: no query here).
    """
    return render_note(
        note.text,
        tag_url=lambda token: url_for("tags.show", name=token.key),
        user_url=lambda name: url_for("people.profile", username=name),
        incident_url=lambda number: url_for("incidents.show", number=number),
        known_users=note.mentioned,
        known_incidents=note.linked_incidents,
        pattern=current_app.config["I2I_INCIDENT_PATTERN"],
    )


def version_html(text: str) -> Markup:
    """An earlier version: same rendering, links to tags only (mentions may have changed)."""
    return render_note(
        text,
        tag_url=lambda token: url_for("tags.show", name=token.key),
        user_url=lambda name: url_for("people.profile", username=name),
        incident_url=lambda number: f"/incidents/{number}",
        known_users=set(),
        known_incidents=set(),
        pattern=current_app.config["I2I_INCIDENT_PATTERN"],
    )


# Rendered note cards, per worker process. The key holds everything a card shows, so a
# changed note (edit, retraction, a new reply, a renamed author) never hits a stale card,
# even if a rebuilt database hands out the same ids again.
_cards: LRUCache = LRUCache(maxsize=20_000)


def note_card(note: NoteView, fresh: bool = False, in_incident: bool = False) -> Markup:
    """The one way a note is shown: feed/_note.html, cached by what it depends on.

    Times inside are absolute (the browser turns them relative), so a card never ages.
    `in_incident`: on its incident's own page, where naming the incident says nothing.
    """
    if "viewer_id" not in g:  # read the signed-in user once per request, not once per card
        signed_in = current_user.is_authenticated
        g.viewer_id = current_user.id if signed_in else None
        g.viewer_is_admin = signed_in and current_user.role == "admin"
    is_author = note.author_id == g.viewer_id
    can_retract = is_author or g.viewer_is_admin
    author = note.author
    key = (
        note.id,
        note.text,
        note.posted_at,
        note.sort_at,
        note.edited_at,
        note.retracted_at,
        note.reply_count,
        author.username,
        author.display_name,
        note.mentioned,
        note.linked_incidents,
        note.incident,
        note.parent,
        is_author,
        can_retract,
        fresh,
        in_incident,
        viewer_zone().key,
    )
    card = _cards.get(key)
    if card is None:
        html = render_template(  # autoescaped; no CSRF token inside: a card is shared
            "feed/_note.html",
            note=note,
            fresh=fresh,
            in_incident=in_incident,
            can_retract=can_retract,
        )
        card = _cards[key] = Markup(html)  # noqa: S704
    return card


def initials(name: str) -> str:
    """Up to two letters standing for a person on their avatar: "Sam Singh" → "SS"."""
    words = [w for w in name.replace(".", " ").replace("_", " ").split() if w[:1].isalnum()]
    letters = "".join(w[0] for w in words[:1] + words[1:][-1:]) or name[:2]
    return letters.upper()


def avatar_hue(username: str) -> int:
    """One of eight avatar colours, the same for a person everywhere (decoration only:
    the name is always written beside it)."""
    return sum(username.encode()) % 8


def viewer_zone() -> ZoneInfo:
    """The signed-in person's time zone (their settings; UTC otherwise), read once a request."""
    if "zone" not in g:
        signed_in = current_user.is_authenticated
        g.zone = ZoneInfo(accounts.preferences(current_user if signed_in else None).time_zone)
    return g.zone


def short_time(when: datetime | None) -> str:
    """A compact absolute time in the viewer's zone, shown until the browser replaces it
    with a relative one."""
    return when.astimezone(viewer_zone()).strftime("%-d %b %Y, %H:%M %Z") if when else ""


def relative_time(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return ""
    seconds = int(((now or utcnow()) - when).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for limit, unit, size in (
        (60, "s", 1),
        (3600, "min", 60),
        (86400, "h", 3600),
        (604800, "d", 86400),
    ):
        if seconds < limit:
            amount = max(seconds // size, 0) if unit != "s" else seconds
            if unit == "s" and seconds < 10:
                return "just now"
            text = f"{amount} {unit}"
            return f"in {text}" if future else f"{text} ago"
    return when.strftime("%-d %b %Y")


def duration(span: timedelta) -> str:
    """A span as a countdown says it: "2 d 4 h", "3 h 20 min", "12 min", "45 s" (the same
    words as static/js/app.js's `duration`)."""
    seconds = abs(int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{seconds} s"


SLA_WORDS = {
    "on_track": "{Clock} in {left}",
    "at_risk": "At risk · {clock} in {left}",
    "breached": "Breached · {clock} {left} late",
    "met": "{Clock} met",
    "missed": "{Clock} missed",
}


def sla_words(state) -> str:
    """What an SLA badge says (`incidents.ClockState`); static/js/app.js says the same."""
    return SLA_WORDS[state.state].format(
        Clock=state.clock.capitalize(), clock=state.clock, left=duration(state.left)
    )


def exact_time(when: datetime | None) -> str:
    return when.astimezone(viewer_zone()).strftime("%Y-%m-%d %H:%M:%S %Z") if when else ""


def iso_time(when: datetime | None) -> str:
    return when.isoformat() if when else ""


def register(app: Flask) -> None:
    app.add_template_filter(note_html)
    app.add_template_filter(short_time)
    app.add_template_global(note_card)
    app.add_template_global(UNDO_WINDOW, "undo_window")
    app.add_template_global(int(UNDO_WINDOW.total_seconds() // 60), "undo_minutes")
    app.add_template_global(readings, "readings")
    app.add_template_global(INSIGHT_VIEWS, "insight_views")
    app.add_template_filter(version_html)
    app.add_template_filter(relative_time)
    app.add_template_filter(exact_time)
    app.add_template_filter(iso_time)
    app.add_template_filter(duration)
    app.add_template_filter(initials)
    app.add_template_filter(avatar_hue)
    app.add_template_filter(sla_words)
    app.jinja_env.globals["TagToken"] = TagToken
