"""Request parameters, bounded: what a path, a query string or a form may carry.

Every integer is ASCII digits within the range of the database's ids (32-bit) (a path beyond it
matches no route, 404; a query or form value beyond it is refused, 400), so no huge or
odd number (superscript digits pass `str.isdigit`) reaches SQL or `int()` as a 500.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import IntegerConverter

from app.errors import Refused
from app.intake.alerts import AlertRules
from app.itil import Policy
from app.models import MAX_ID

DIGITS = re.compile(r"[0-9]{1,10}")
MAX_PAGE = 10_000


class BoundedInt(IntegerConverter):
    """The `int` URL converter, within the database's ids."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int = 1, max: int = MAX_ID):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max)


def whole_number(value: str | None, what: str, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole number from `low` to `high` written in ASCII digits, or None when empty."""
    if value is None or value == "":
        return None
    if not DIGITS.fullmatch(value) or not low <= int(value) <= high:
        raise Refused(f"{what} must be a whole number from {low:,} to {high:,}.")
    return int(value)


def record_id(value: str | None, what: str = "The id") -> int | None:
    return whole_number(value, what)


def page_number(value: str | None) -> int:
    return whole_number(value, "The page", 1, MAX_PAGE) or 1


def name_filter(value: str | None, limit: int = 120) -> str:
    """A name typed in a filter (a service, a team): trimmed, at most `limit` characters."""
    return (value or "").strip()[:limit]


def local_path(target: str | None) -> str | None:
    """A same-site path to go back to, or None: never another host (`//host`, `/\\host`
    and absolute URLs are refused)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and not urlsplit(target).netloc
        and len(target) <= 2000
    ):
        return target
    return None


# Settings the rules need, read here at the edge and passed in.


def policy() -> Policy:
    return current_app.config["I2I_POLICY"]


def incident_pattern() -> str:
    return current_app.config["I2I_INCIDENT_PATTERN"]


def alert_rules() -> AlertRules:
    config = current_app.config
    return AlertRules(
        severity_impact=config["I2I_ALERT_SEVERITY_IMPACT"],
        service_labels=config["I2I_ALERT_SERVICE_LABELS"],
        policy=config["I2I_POLICY"],
        incident_pattern=config["I2I_INCIDENT_PATTERN"],
    )
