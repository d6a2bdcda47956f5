"""Webhooks from other systems. They authenticate with a bearer token, not a session."""

from __future__ import annotations

import hmac

from flask import Blueprint, abort, current_app, jsonify, request

from app.errors import Refused
from app.extensions import csrf, limiter
from app.intake import alerts
from app.web.params import alert_rules

bp = Blueprint("hooks", __name__, url_prefix="/hooks")


def _check_token() -> None:
    expected = current_app.config.get("I2I_ALERTMANAGER_TOKEN")
    if not expected:
        abort(404)  # the webhook is off until an admin sets a token
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        raise Refused("Wrong or missing bearer token.", status=401)


@bp.post("/alertmanager")
@csrf.exempt
@limiter.limit("600 per minute")
def alertmanager():
    _check_token()
    body = request.get_json(silent=True)
    if body is None:
        raise Refused("The body must be JSON (Content-Type: application/json).")
    incident = alerts.receive(alerts.parse(body), alert_rules())
    return jsonify({"incident": incident.number, "status": incident.status}), 200
