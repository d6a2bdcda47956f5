"""The search page: the query box, search-as-you-type results, chips, pages."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user, login_required

from app.errors import Refused
from app.search import finder
from app.web.pages import render
from app.web.params import page_number

bp = Blueprint("search", __name__)


@bp.get("/search")
@login_required
def results():
    q = request.args.get("q", "")[:1000]
    order = request.args.get("order", "")
    found, problem = None, None
    if q.strip():
        try:
            found = finder.search(
                current_user, q, order=order, page=page_number(request.args.get("page"))
            )
        except Refused as refused:
            problem = refused.message
    return render(
        "search/index.html",
        "search/_results.html",
        q=q,
        order=order,
        results=found,
        problem=problem,
        title=f"{q} – search" if q else "Search",
    )
