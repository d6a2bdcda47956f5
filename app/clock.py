"""Time, one way: the server's clock, times from people and other systems, periods.

Every time I2I stores is an aware UTC datetime. A time that comes from outside (a form, an
import, a webhook, a query string) is read here, turned into UTC and kept within
EARLIEST..LATEST, so that no offset, year or span can overflow later (year 1 at +14:00
is before the calendar begins once in UTC; 9999-12-31 plus a day is after it ends).
Such input is refused with a message, never left to fail as a server error.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from app.errors import Refused

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)
YEARS = f"{EARLIEST.year}–{LATEST.year}"


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_utc(moment: datetime, what: str) -> datetime:
    """An aware time in UTC, refused when it has no offset or lies outside the years
    I2I keeps."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise Refused(f"{what} needs a time zone offset (e.g. +00:00).")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise Refused(f"{what} is outside the years {YEARS}.") from None
    if not EARLIEST <= moment <= LATEST:
        raise Refused(f"{what} is outside the years {YEARS}.")
    return moment


def parse_time(value, what: str) -> datetime | None:
    """An ISO 8601 time with its offset, from another system's data (None when empty)."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"{what} is not an ISO 8601 time: {str(value)[:40]!r}.") from None
    return to_utc(moment, what)


def parse_day(value: str | None, what: str, default: date) -> date:
    """A calendar day written YYYY-MM-DD (the default when empty), within the years kept."""
    if not value:
        return default
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise Refused(f"{what}: {value[:40]!r} is not a date (YYYY-MM-DD).") from None
    if not EARLIEST.date() <= day <= LATEST.date():
        raise Refused(f"{what} is outside the years {YEARS}.")
    return day


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def parse_day_or_time(value: str, what: str) -> date | datetime:
    """A day (YYYY-MM-DD), or an exact moment when a time is given (ISO 8601, UTC unless
    it names an offset): what `period` takes for either end."""
    if "T" not in value:
        return parse_day(value, what, None)
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"{what}: {value[:40]!r} is neither a day nor an ISO 8601 time.") from None
    return to_utc(moment if moment.tzinfo else moment.replace(tzinfo=UTC), what)


def end_of(value: date | datetime) -> datetime:
    """Where a period named by its last day (the day's end) or an exact moment ends."""
    return value if isinstance(value, datetime) else start_of(value) + timedelta(days=1)


def period(
    first: date, last: date, *, longest: timedelta | None = None
) -> tuple[datetime, datetime]:
    """The UTC times [start, end) covering the days `first` to `last`, both included (a
    datetime given instead of a day is taken as the exact start or end)."""
    start = first if isinstance(first, datetime) else start_of(first)
    end = end_of(last)
    if end <= start:
        raise Refused("The period ends before it starts.")
    if longest is not None and end - start > longest:
        raise Refused(f"A period is at most {longest.days} days.")
    return start, end
