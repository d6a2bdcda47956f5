"""Settings, read from environment variables in one place (a `.env` file in development).

The names DATABASE_URL, SECRET_KEY, I2I_INSTANCE_DIR, I2I_ALERTMANAGER_TOKEN and
REDIS_URL are fixed by DESIGN section 7; the other I2I_* names are ours.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

from app import ratelimits
from app.itil import DEFAULT_PRIORITY_MATRIX, DEFAULT_SLA_TARGETS, Policy

ROOT = Path(__file__).resolve().parent.parent  # the checkout: templates/, static/, .env


class ConfigError(RuntimeError):
    """A setting is missing or unusable; the message says which and why."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the app's settings: environment first, then `overrides` (tests) on top."""
    load_dotenv(ROOT / ".env", override=False)
    overrides = dict(overrides or {})
    env = os.environ.get("I2I_ENV", "development")
    instance_dir = Path(
        overrides.pop("I2I_INSTANCE_DIR", None)
        or os.environ.get("I2I_INSTANCE_DIR")
        or ROOT / "instance"
    ).resolve()
    secret = os.environ.get("SECRET_KEY")
    if not secret and env != "development" and not overrides.get("SECRET_KEY"):
        raise ConfigError(f"SECRET_KEY must be set outside development (I2I_ENV={env})")
    settings: dict[str, Any] = {
        "I2I_ENV": env,
        "I2I_INSTANCE_DIR": str(instance_dir),
        "SECRET_KEY": secret or _development_secret(instance_dir),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_dir),
        "REDIS_URL": os.environ.get("REDIS_URL"),
        "I2I_ALERTMANAGER_TOKEN": os.environ.get("I2I_ALERTMANAGER_TOKEN"),
        # Session cookie: never readable from script, not sent on cross-site posts.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("I2I_SECURE_COOKIES", env == "production"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("I2I_SECURE_COOKIES", env == "production"),
        # No request body is bigger than this (a note is 500 characters; an Alertmanager
        # notification of MAX_ALERTS alerts well under it): larger ones answer 413.
        "MAX_CONTENT_LENGTH": 2 * 1024**2,
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session; a long outage shift must not expire it
        # Shared by every worker: Redis across machines, else a file on this one.
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or ratelimits.uri_for(instance_dir),
        "RATELIMIT_HEADERS_ENABLED": True,
        "I2I_LOGIN_RATE_LIMIT": os.environ.get("I2I_LOGIN_RATE_LIMIT", "5 per minute"),
        "I2I_FEED_PAGE_SIZE": int(os.environ.get("I2I_FEED_PAGE_SIZE", "20")),
        "I2I_POLL_SECONDS": int(os.environ.get("I2I_POLL_SECONDS", "1")),
        "I2I_SEARCH_CACHE_MB": int(os.environ.get("I2I_SEARCH_CACHE_MB", "256")),
        "I2I_INCIDENT_PATTERN": os.environ.get("I2I_INCIDENT_PATTERN", r"INC\d{7}"),
        "I2I_PRIORITY_MATRIX": priority_matrix(os.environ.get("I2I_PRIORITY_MATRIX")),
        "I2I_SLA_TARGETS": sla_targets(os.environ.get("I2I_SLA_TARGETS")),
        "I2I_ALERT_SEVERITY_IMPACT": severity_impact(os.environ.get("I2I_ALERT_SEVERITY_IMPACT")),
        "I2I_ALERT_SERVICE_LABELS": _names(
            os.environ.get("I2I_ALERT_SERVICE_LABELS", "service, job"), "I2I_ALERT_SERVICE_LABELS"
        ),
    }
    settings.update(overrides)
    settings.setdefault(
        "I2I_POLICY", Policy(settings["I2I_PRIORITY_MATRIX"], settings["I2I_SLA_TARGETS"])
    )
    settings.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", _engine_options(settings["SQLALCHEMY_DATABASE_URI"])
    )
    return settings


DEFAULT_SEVERITY_IMPACT = {"critical": 1, "error": 1, "warning": 2, "info": 3}
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def priority_matrix(text: str | None) -> tuple[tuple[int, ...], ...]:
    """`I2I_PRIORITY_MATRIX`: three rows (impact 1–3) of three priorities (urgency 1–3),
    rows separated by "/", e.g. the default "1 2 3 / 2 3 4 / 3 4 5"."""
    if not text or not text.strip():
        return DEFAULT_PRIORITY_MATRIX
    rows = [row.replace(",", " ").split() for row in text.split("/")]
    if len(rows) != 3 or any(len(row) != 3 for row in rows):
        raise ConfigError(
            "I2I_PRIORITY_MATRIX needs three rows of three priorities, "
            'rows separated by "/" (e.g. "1 2 3 / 2 3 4 / 3 4 5")'
        )
    if any(value not in {"1", "2", "3", "4", "5"} for row in rows for value in row):
        raise ConfigError("I2I_PRIORITY_MATRIX holds priorities 1 to 5 only")
    return tuple(tuple(int(value) for value in row) for row in rows)


def sla_targets(text: str | None) -> dict[int, tuple[timedelta, timedelta]]:
    """`I2I_SLA_TARGETS`: respond-by/resolve-by per priority, e.g. "P1=15m/4h, P2=1h/8h";
    units m, h, d; priorities not named keep their defaults."""
    targets = dict(DEFAULT_SLA_TARGETS)
    for item in (text or "").replace(",", " ").split():
        found = re.fullmatch(r"P?([1-5])=(\d+)([mhd])/(\d+)([mhd])", item, re.IGNORECASE)
        if found is None:
            raise ConfigError(
                f"I2I_SLA_TARGETS: {item!r} is not like P1=15m/4h (respond-by/resolve-by)"
            )
        priority, respond, respond_unit, resolve, resolve_unit = found.groups()
        respond_by = timedelta(**{_UNITS[respond_unit.lower()]: int(respond)})
        resolve_by = timedelta(**{_UNITS[resolve_unit.lower()]: int(resolve)})
        if not timedelta(0) < respond_by <= resolve_by:
            raise ConfigError(f"I2I_SLA_TARGETS: {item!r} must respond before it resolves")
        targets[int(priority)] = (respond_by, resolve_by)
    return targets


def severity_impact(text: str | None) -> dict[str, int]:
    """`I2I_ALERT_SEVERITY_IMPACT`: an alert's `severity` label → the incident's impact,
    e.g. "critical=1, warning=2, info=3" (the default also maps error to 1)."""
    if not text or not text.strip():
        return dict(DEFAULT_SEVERITY_IMPACT)
    mapping = {}
    for item in text.replace(",", " ").split():
        name, _, impact = item.partition("=")
        if not name or impact not in {"1", "2", "3"}:
            raise ConfigError(
                f"I2I_ALERT_SEVERITY_IMPACT: {item!r} is not like critical=1 (impact 1 to 3)"
            )
        mapping[name.lower()] = int(impact)
    return mapping


def _names(text: str, setting: str) -> tuple[str, ...]:
    names = tuple(name for name in text.replace(",", " ").split())
    if not names:
        raise ConfigError(f"{setting} names at least one label")
    return names


def _engine_options(url: str) -> dict[str, Any]:
    """On PostgreSQL, generic plans for prepared statements. psycopg prepares a statement
    once it has run five times on a connection; PostgreSQL would still plan a home feed's
    union of followed tags afresh at every run (7 ms to plan, under 1 to run) because each
    custom plan looks a little cheaper than the generic one. (Pooled connections are
    checked before use only after sitting idle: `database.IDLE_CHECK_SECONDS`.)"""
    options: dict[str, Any] = {}
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c plan_cache_mode=force_generic_plan"}
    return options


def _database_url(instance_dir: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance_dir / 'i2i.sqlite'}"
    # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3 spelled out.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _development_secret(instance_dir: Path) -> str:
    """A per-checkout random key kept in the instance folder, so sessions survive restarts."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
