"""Settings, read from environment variables in one place (a `.env` file in development).

The names DATABASE_URL, SECRET_KEY, I2I_INSTANCE_DIR, I2I_ALERTMANAGER_TOKEN and
REDIS_URL are fixed by DESIGN section 7; the other I2I_* names are ours.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

from app import ROOT


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
    if not secret and env == "production" and not overrides.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY must be set when I2I_ENV=production")
    settings: dict[str, Any] = {
        "I2I_ENV": env,
        "I2I_INSTANCE_DIR": str(instance_dir),
        "SECRET_KEY": secret or _development_secret(instance_dir),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_dir),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": os.environ.get("REDIS_URL"),
        "I2I_ALERTMANAGER_TOKEN": os.environ.get("I2I_ALERTMANAGER_TOKEN"),
        # Session cookie: never readable from script, not sent on cross-site posts.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("I2I_SECURE_COOKIES", env == "production"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("I2I_SECURE_COOKIES", env == "production"),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session; a long outage shift must not expire it
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "I2I_LOGIN_RATE_LIMIT": os.environ.get("I2I_LOGIN_RATE_LIMIT", "5 per minute"),
        "I2I_FEED_PAGE_SIZE": int(os.environ.get("I2I_FEED_PAGE_SIZE", "20")),
        "I2I_POLL_SECONDS": int(os.environ.get("I2I_POLL_SECONDS", "15")),
        "I2I_SEARCH_CACHE_MB": int(os.environ.get("I2I_SEARCH_CACHE_MB", "256")),
        "I2I_INCIDENT_PATTERN": os.environ.get("I2I_INCIDENT_PATTERN", r"INC\d{7}"),
    }
    settings.update(overrides)
    return settings


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
