"""Operational routes: a liveness check for load balancers (no database, no session)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
