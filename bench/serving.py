"""I2I served by gunicorn on loopback for a benchmark, as `make run` serves it (the
background duties on), with the settings a benchmark needs: production mode, plain HTTP
and no sign-in limit to trip over."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def site_env(url: str, instance: Path, secret: str) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": url,
        "I2I_INSTANCE_DIR": str(instance),
        "I2I_ENV": "production",
        "SECRET_KEY": secret,
        "I2I_SECURE_COOKIES": "0",  # plain HTTP on loopback
        "I2I_LOGIN_RATE_LIMIT": "100000 per minute",
    }


def start_gunicorn(
    env: dict[str, str], workers: int, *options: str
) -> tuple[subprocess.Popen, int]:
    """Start gunicorn on a free port and return once it listens: (process, port)."""
    from tests.loopback import free_port, wait_until_listening

    port = free_port()
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            "python:app.gunicorn_conf",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *options,
            "wsgi:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    wait_until_listening(port, process, "gunicorn")
    return process, port
