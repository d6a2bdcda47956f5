"""The web shell: blueprints, the page-or-partial helper, headers and error pages."""

from __future__ import annotations

import time

from flask import Flask, g, make_response, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app import accounts, notifications
from app import live as live_updates
from app.errors import Refused
from app.extensions import htmx
from app.web import (
    admin,
    auth,
    board,
    feed,
    filters,
    hooks,
    incidents,
    insights,
    jobs,
    live,
    ops,
    people,
    reports,
    reviews,
    search,
    settings,
    tags,
    trends,
)
from app.web.params import BoundedInt

# No inline script anywhere: scripts and styles come from our own origin only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt  # before any rule is bound to it
    for module in (
        auth,
        feed,
        tags,
        people,
        incidents,
        search,
        settings,
        trends,
        insights,
        jobs,
        reports,
        board,
        reviews,
        live,
        admin,
        hooks,
        ops,
    ):
        app.register_blueprint(module.bp)
    filters.register(app)
    _register_headers(app)
    _register_errors(app)


def _register_headers(app: Flask) -> None:
    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()
        # Read before the page's data, so a change committed while it renders is one
        # the page will hear of (app.live), never one it is told it has seen.
        g.live_stamp = live_updates.stamp()

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint != "static":  # pages show what only their viewer may see
            response.headers.setdefault("Cache-Control", "private, no-store")
        if "started" in g:  # lets benchmarks read server-side time from any response
            elapsed = (time.perf_counter() - g.started) * 1000
            response.headers["Server-Timing"] = f"app;dur={elapsed:.2f}"
        return response


def _register_errors(app: Flask) -> None:
    def error_page(message: str, status: int):
        if request.blueprint == "hooks":  # machines get JSON, not a page
            return {"error": message}, status
        if htmx:
            response = make_response(render_template("_error.html", message=message), status)
            # htmx ignores 4xx bodies by default; send the message to the form's error slot.
            response.headers["HX-Retarget"] = request.headers.get("HX-Error-Target", "#flash")
            response.headers["HX-Reswap"] = "innerHTML"
            return response
        return render_template("error.html", message=message, status=status), status

    @app.errorhandler(Refused)
    def _refused(error: Refused):
        return error_page(error.message, error.status)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return error_page(
            "Your session form expired or was sent from elsewhere; reload and try again.", 400
        )

    @app.errorhandler(429)
    def _too_many(error):
        return error_page(
            f"Too many attempts. Wait a minute and try again ({error.description}).", 429
        )

    @app.errorhandler(403)
    def _forbidden(error):
        return error_page("You do not have access to that.", 403)

    @app.errorhandler(404)
    def _not_found(error):
        return error_page("There is nothing here.", 404)

    @app.errorhandler(413)
    def _too_large(error):
        limit = app.config["MAX_CONTENT_LENGTH"] // 1024**2
        return error_page(f"That request is too large (at most {limit} MB).", 413)

    @app.errorhandler(405)
    def _method(error):
        return error_page("That action is not available here.", 405)

    @app.context_processor
    def _globals():
        unread, theme = 0, "auto"
        if current_user.is_authenticated:
            unread = notifications.unread_count(current_user)
            theme = accounts.preferences(current_user).theme
        return {
            "unread_notifications": unread,
            "live_stamp": g.get("live_stamp", 0),
            "theme": theme,
        }
