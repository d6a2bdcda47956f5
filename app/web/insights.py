"""The insight pages: correlations, lead–lag and the people and tag graphs of a period.

Each page comes at once as a frame with its filters; the analysis fills it in (htmx
asks for the same address and gets only the body). Without JavaScript a link asks for
the whole page with the body in it. Results are kept (`app.results`), so the second
look at a period costs nothing.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, request, url_for
from flask_login import current_user, login_required

from app import analysis, charts
from app.clock import parse_day, utcnow
from app.extensions import htmx
from app.models import Job
from app.web.pages import render
from app.web.params import name_filter, record_id

bp = Blueprint("insights", __name__, url_prefix="/insights")

VIEWS = {
    "correlations": "Correlations",
    "lead-lag": "Lead and lag",
    "graph": "People and tag graphs",
}


@bp.get("/<view>")
@login_required
def show(view: str):
    if view not in VIEWS:
        abort(404)
    today = utcnow().date()
    first = parse_day(request.args.get("from"), "From", today - timedelta(days=30))
    last = parse_day(request.args.get("to"), "To", today)
    service, team = (name_filter(request.args.get(key)) for key in ("service", "team"))
    services, teams = ((service,) if service else ()), ((team,) if team else ())
    context = {
        "view": view,
        "views": VIEWS,
        "first": first,
        "last": last,
        "service": service,
        "team": team,
        "title": VIEWS[view],
        "found": None,
        "shown": {},
    }
    query = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "service": service or None,
        "team": team or None,
    }
    context["body_url"] = url_for("insights.show", view=view, **query)
    context["now_url"] = url_for("insights.show", view=view, now=1, **query)
    partial = f"insights/_{view.replace('-', '_')}.html"
    if htmx or request.args.get("now") or request.args.get("job"):
        params = analysis.heavy_params(
            "graphs" if view == "graph" else "summary",
            first,
            last,
            services=services,
            teams=teams,
        )
        job_id = record_id(request.args.get("job"), "The job")
        found = (
            analysis.result_of(current_user, job_id)
            if job_id
            else analysis.in_background(current_user, params)
        )
        if isinstance(found, Job):  # still being computed: the page polls the job
            poll_url = url_for("insights.show", view=view, job=found.id, **query)
            retry_url = url_for("insights.show", view=view, now=1, **query)
            waiting = {"job": found, "poll_url": poll_url, "retry_url": retry_url}
            return render(
                "insights/page.html", "jobs/_status.html", label="Analysing", **context, **waiting
            )
        context |= _shown(view, found)
    return render("insights/page.html", partial, **context)


def _shown(view: str, found: dict) -> dict:
    if view == "graph":
        return {"found": found, "shown": _graph_charts(found)}
    if view == "correlations":
        shown = {"heatmap": charts.heatmap("pairs", found["tag_pairs"])}
    else:
        shown = {"lead_lag": charts.lead_lag("lead-lag", found["lead_lag"])}
    return {"found": found, "shown": shown}


def _graph_charts(found: dict) -> dict:
    people = [
        {
            **node,
            "label": f"@{node['id']}",
            "community": f"team {node['group']}" if node["group"] else "none",
            "about": ", ".join(f"#{t}" for t in node["tags"]) or "—",
            "size": node["rank"],
            "href": url_for("people.profile", username=node["id"]),
        }
        for node in found["people"]["nodes"]
    ]
    tags = [
        {
            **node,
            "label": f"#{node['id']}",
            "community": f"theme {node['group']}" if node["group"] else "none",
            "about": f"the story of #{node['id']}",
            "size": node["rank"],
            "href": url_for("tags.story", name=node["id"]),
        }
        for node in found["tags"]["nodes"]
    ]
    return {
        "people": charts.network(
            "people-graph",
            "Who works with whom: replies, mentions and shared incidents; colour: community",
            people,
            found["people"]["edges"],
        ),
        "tags": charts.network(
            "tag-graph",
            "Tags written together (significant pairs); colour: theme",
            tags,
            found["tags"]["edges"],
            group="theme",
        ),
    }
