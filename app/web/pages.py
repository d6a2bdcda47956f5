"""The one way a page is served: the full page, or only its partial for an htmx request."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template

from app.extensions import htmx


def render(template: str, partial: str | None = None, status: int = 200, **context: Any):
    """Render the full page, or only `partial` for an htmx request, from the same route.

    `Vary: HX-Request` keeps any cache from handing a fragment to someone who asked for a page.
    """
    name = partial if (partial and htmx and not htmx.boosted) else template
    response = make_response(render_template(name, **context), status)
    response.vary.add("HX-Request")
    return response
