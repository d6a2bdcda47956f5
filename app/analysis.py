"""The one bridge from the web shell, the jobs and the CLI to `insights/`.

It checks the role, turns the viewer into a plain-data `Scope` (the window, the tags and
services asked for, and the restricted incidents this viewer may not see, from the one
visibility rule), hands `insights/` the database connection, and returns plain results.
Routes and commands never import `insights/` themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import select

from app import feeds, notifications, queue, results, tags, visibility
from app.clock import end_of, parse_day_or_time, period, utcnow
from app.errors import Refused
from app.extensions import db
from app.models import Hashtag, Incident, Job, User
from app.text import normalize_tag
from insights import report
from insights.frames import incidents_frame
from insights.incident_metrics import response_times
from insights.scope import Scope
from insights.story import tag_story
from insights.summary import graphs, judged_at, summary, trend_summary

LONGEST_PERIOD = timedelta(days=3660)  # ten years of incidents at most in one analysis


def scope_for(
    viewer: User | None,
    first: date,
    last: date,
    *,
    tags: tuple[str, ...] = (),
    services: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
    priorities: tuple[int, ...] = (),
    incidents: tuple[str, ...] = (),
) -> Scope:
    """What `viewer` may analyse of the days `first` to `last`, or from one moment to
    another (None: what every signed-in person may see, nothing restricted), for the
    tags, services, teams (assignment groups), priorities and incidents given (none:
    all)."""
    start, end = period(first, last, longest=LONGEST_PERIOD)
    hidden = visibility.hidden_incidents(viewer)
    return Scope(
        start,
        end,
        tags=tuple(tags),
        services=tuple(services),
        teams=tuple(teams),
        priorities=tuple(priorities),
        incidents=tuple(incidents),
        hidden_incidents=hidden.ids,
    )


def response_metrics(viewer: User, first: date, last: date, by: str) -> pd.DataFrame:
    """MTTA and MTTR per priority or service for incidents registered `first` to `last`."""
    if by not in ("priority", "service"):
        raise Refused("Group by priority or service.")
    scope = scope_for(viewer, first, last)
    return response_times(incidents_frame(db.session.connection(), scope), by)


def canonical_keys(names: tuple[str, ...]) -> tuple[str, ...]:
    """The canonical keys of tags named by a person (an alias leads to its tag)."""
    keys = []
    for name in names:
        tag = tags.find_tag(name)
        keys.append(tags.canonical(tag).key if tag else normalize_tag(name.lstrip("#")))
    return tuple(dict.fromkeys(keys))


def insights_summary(
    viewer: User | None,
    first: date,
    last: date,
    *,
    tag_names: tuple[str, ...] = (),
    services: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
) -> dict:
    """Trends, correlations, lead–lag, communities, experts and alias suggestions of the
    days `first` to `last` as `viewer` may see them (None: every signed-in person)."""
    params = heavy_params("summary", first, last, tags=tag_names, services=services, teams=teams)
    return results.kept(*_heavy(viewer, params))


def graphs_view(
    viewer: User,
    first: date,
    last: date,
    *,
    services: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
) -> dict:
    """The people graph and the tag network of the days `first` to `last` (drawn, with
    communities, brokers and themes) as `viewer` may see them."""
    params = heavy_params("graphs", first, last, services=services, teams=teams)
    return results.kept(*_heavy(viewer, params))


def heavy_params(
    view: str,
    first: date,
    last: date,
    *,
    tags: tuple[str, ...] = (),
    services: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
) -> dict:
    """A heavy analysis asked for, as plain data a job carries."""
    if view not in ("summary", "graphs"):
        raise Refused("No such analysis.")
    return {
        "view": view,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "tags": list(tags),
        "services": list(services),
        "teams": list(teams),
    }


def _heavy(viewer: User | None, params: dict, progress=None) -> tuple[str, tuple, Callable]:
    """What a heavy analysis is kept under, and how to compute it."""
    first, last = (parse_day_or_time(params[end], end) for end in ("first", "last"))
    scope = scope_for(
        viewer,
        first,
        last,
        tags=canonical_keys(tuple(params["tags"])),
        services=tuple(params["services"]),
        teams=tuple(params["teams"]),
    )
    if params["view"] == "graphs":
        return "graphs", scope.key, lambda: graphs(db.session.connection(), scope)
    now = utcnow()
    key = (*scope.key, judged_at(scope, now).isoformat())
    return "summary", key, lambda: summary(db.session.connection(), scope, now, progress=progress)


def in_background(viewer: User, params: dict) -> dict | Job:
    """A heavy analysis for a page: the kept result when there is a fresh one, else the
    job computing it (one already under way for this viewer and these parameters, or a
    new one), so a page never waits for the computation."""
    found = results.peek(*_heavy(viewer, params)[:2])
    if found is not None:
        return found
    return queue.live_job(viewer, "analysis", params) or queue.enqueue("analysis", params, viewer)


def result_of(viewer: User, job_id: int) -> dict | Job:
    """What job `job_id` (a heavy analysis `viewer` asked for) found, or the job while it
    runs or when it failed."""
    job = queue.job_for(viewer, job_id)
    if job.kind != "analysis" or job.state != "done":
        return job
    return results.read(job.output) or job


def run_job(job: Job, progress: queue.Progress) -> queue.Outcome:
    """The job queue's runner for heavy analyses: computes and keeps the result."""
    viewer = db.session.get(User, job.owner_id) if job.owner_id else None
    kind, key, compute = _heavy(viewer, job.params, progress)
    return queue.Outcome(output=results.keep(kind, key, compute))


def trends_view(
    viewer: User,
    window: timedelta,
    last: date | None,
    *,
    first: date | None = None,
    services: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
) -> dict:
    """The trends page: trending, emerging and declining tags of the `window` ending at
    `last` (a day's end or a moment; now when None), or from `first` when given (a
    custom window), as `viewer` may see them."""
    now = utcnow()
    end = now if last is None else end_of(last)
    start = end - window if first is None else first
    scope = scope_for(viewer, start, end, services=services, teams=teams)
    return trend_summary(db.session.connection(), scope, now) | {
        "start": scope.start,
        "end": min(end, now),
    }


def story_of(viewer: User, tag: Hashtag, window: timedelta) -> dict:
    """The tag page's story of canonical `tag` over the `window` up to now, as `viewer`
    may see it: `insights.story.tag_story` with its incidents and representative notes
    loaded (both through the visibility rule)."""
    now = utcnow()
    scope = scope_for(viewer, now - window, now)
    story = results.kept(
        "story",
        (*scope.key[2:], tag.key, window.total_seconds(), now.strftime("%Y-%m-%dT%H")),
        lambda: tag_story(db.session.connection(), scope, tag.key),
    )
    worked = {row["id"]: row for row in story["incidents"]}
    shown = db.session.scalars(
        select(Incident).where(
            Incident.id.in_(list(worked)), visibility.visible_incidents_clause(viewer)
        )
    )
    by_id = {incident.id: incident for incident in shown}
    story["incidents"] = [
        {**row, "incident": by_id[row["id"]]} for row in story["incidents"] if row["id"] in by_id
    ]
    story["representative"] = feeds.load_notes(story["representative"], viewer)
    return story | {"start": scope.start, "end": scope.end}


def report_data(viewer: User | None, params: dict, progress=None) -> dict:
    """What a pattern report of `params` (a period and a scope, as `app.reports` checks
    them) finds, as `viewer` may see it: `insights.report.build`'s plain data."""
    scope = scope_for(
        viewer,
        date.fromisoformat(params["from"]),
        date.fromisoformat(params["to"]),
        tags=canonical_keys(tuple(params["tags"])),
        services=tuple(params["services"]),
        teams=tuple(params["teams"]),
        priorities=tuple(params["priorities"]),
        incidents=tuple(params["incidents"]),
    )
    return report.build(db.session.connection(), scope, utcnow(), progress=progress)


def compare_reports(previous: list[dict], current: list[dict]) -> dict:
    """New, gone, grown and faded patterns between two runs (`insights.report.compare`)."""
    return report.compare(previous, current)


def pattern_keys(viewer: User, first: date, last: date) -> set[str] | None:
    """The keys of the patterns found from `first` to `last` as `viewer` may see them
    (`insights.report.patterns`), or None while a background job computes them."""
    found = in_background(viewer, heavy_params("summary", first, last))
    if isinstance(found, Job):
        return None
    return {pattern["key"] for pattern in report.patterns(found)}


def notify_trending_followers() -> int:
    """Tell the followers of each tag trending now (as every signed-in person may see
    it: nothing restricted counts) that it started trending. A background duty."""
    now = utcnow()
    scope = scope_for(None, now - timedelta(hours=24), now)
    found = trend_summary(db.session.connection(), scope, now)["trends"]
    return notifications.notify_trending(found, now)
