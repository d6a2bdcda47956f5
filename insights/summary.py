"""Every analysis of a window and scope at once, as the plain data `i2i insights --json`
prints (keys fixed by DESIGN §5): ranked lists, tags by canonical key, people by
username, times ISO 8601."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pandas as pd

from insights import aliases, correlations, graph, lead_lag, trends
from insights.frames import (
    first_seen_frame,
    incident_facts,
    incidents_frame,
    interactions_frame,
    note_tags_frame,
    tag_hours_frame,
)
from insights.scope import Scope, hour_of

Progress = Callable[[int, int, str], None] | None

KEYS = (
    "trends",
    "emerging",
    "declining",
    "tag_pairs",
    "tag_attributes",
    "tag_outcomes",
    "lead_lag",
    "communities",
    "experts",
    "alias_suggestions",
)


def judged_at(scope: Scope, now: datetime) -> datetime:
    """Trends are judged at the window's end, or now if the window runs on past it (the
    start of the next hour, so the current hour counts)."""
    if scope.end < now:
        return scope.end
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def trend_lists(
    connection, scope: Scope, now: datetime, hours, services: dict, rules: trends.TrendRules
) -> dict:
    """Trending (judged at the window's end), emerging and declining tags."""
    since = trends.baseline_start(scope.start, rules)
    window = hours[hours["hour"] >= hour_of(scope.start)]
    end = judged_at(scope, now)
    return {
        "trends": trends.trending(hours, end, baseline_start=since, rules=rules, services=services),
        "emerging": trends.emerging(window, first_seen_frame(connection), scope.start, scope.end),
        "declining": trends.declining(hours, scope.start, scope.end, baseline_start=since),
    }


def trend_summary(
    connection, scope: Scope, now: datetime, rules: trends.TrendRules | None = None
) -> dict:
    """What the trends page shows: `trend_lists`, and for each trending or emerging tag
    its distinct people per hour (windows up to 3 days) or per day."""
    rules = rules or trends.TrendRules()
    hours = tag_hours_frame(connection, scope.widened(trends.baseline_start(scope.start, rules)))
    facts = incident_facts(connection, hours["incident"].unique(), scope.hidden_incidents)
    services = dict(zip(facts["id"], facts["service"], strict=True))
    found = trend_lists(connection, scope, now, hours, services, rules)
    bucket = 1 if scope.end - scope.start <= timedelta(days=3) else 24
    shown = [t["tag"] for t in found["trends"]] + [e["tag"] for e in found["emerging"]]
    end = judged_at(scope, now)
    found["series"] = trends.series(hours, shown, scope.start, end, bucket)
    return found


def summary(
    connection,
    scope: Scope,
    now: datetime,
    rules: trends.TrendRules | None = None,
    progress: Progress = None,
) -> dict:
    """The ten analyses of DESIGN §5 for `scope`, honouring its hidden incidents.
    `progress(done, total, step)`, when given, hears after each step."""
    return summary_and_frames(connection, scope, now, rules, progress)[0]


def summary_and_frames(
    connection,
    scope: Scope,
    now: datetime,
    rules: trends.TrendRules | None = None,
    progress: Progress = None,
) -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """`summary`, with the frames it read (note tags, incidents, incident facts) for a
    caller that goes on with them (a report)."""
    report = progress or (lambda done, total, step: None)
    rules = rules or trends.TrendRules()
    # Progress in hundredths: reading to 30 (moving with the rows), trends to 40, then
    # each analysis.
    report(0, 100, "reading the tag counts")
    hours = tag_hours_frame(
        connection,
        scope.widened(trends.baseline_start(scope.start, rules)),
        on_rows=lambda rows: report(
            min(rows // 100_000, 9), 100, f"reading the tag counts ({rows:,} rows)"
        ),
    )
    window = hours[hours["hour"] >= hour_of(scope.start)]

    def read(rows: int) -> None:
        report(min(10 + rows // 50_000, 26), 100, f"reading the notes ({rows:,} rows)")

    notes = note_tags_frame(connection, scope, on_rows=read)
    report(27, 100, "reading the incidents")
    incidents = incidents_frame(connection, scope)
    facts = incident_facts(
        connection,
        pd.concat([hours["incident"], notes["incident"]]).unique(),
        scope.hidden_incidents,
    )
    services = dict(zip(facts["id"], facts["service"], strict=True))
    report(30, 100, "trends")
    found = trend_lists(connection, scope, now, hours, services, rules)
    steps = {
        "tag_pairs": ("tag pairs", lambda: correlations.tag_pairs(notes)),
        "tag_attributes": (
            "tags and incident attributes",
            lambda: correlations.tag_attributes(notes, incidents),
        ),
        "tag_outcomes": ("tags and outcomes", lambda: correlations.tag_outcomes(notes, incidents)),
        "lead_lag": ("lead and lag", lambda: lead_lag.lead_lag(window)),
        "links": ("reading replies and mentions", lambda: interactions_frame(connection, scope)),
        "people": (
            "the people graph",
            lambda: graph.people_graph(found.pop("links"), notes, scope.end),
        ),
        "communities": (
            "teams in the people graph",
            lambda: graph.communities(found.pop("people"), notes, services),
        ),
        "experts": ("experts", lambda: graph.experts(notes, scope.end)),
        "alias_suggestions": (
            "alias suggestions",
            lambda: aliases.alias_suggestions(notes, services),
        ),
    }
    for done, (name, (step, compute)) in enumerate(steps.items()):
        report(40 + 60 * done // len(steps), 100, step)
        found[name] = compute()
    report(100, 100, "done")
    return {key: found[key] for key in KEYS}, notes, incidents, facts


def graphs(connection, scope: Scope) -> dict:
    """The people graph and the tag network of `scope`, drawn (`graph.drawing`): the
    people coloured by community, the tags by theme; each person with the tags they use
    most, brokers by sampled betweenness."""
    notes = note_tags_frame(connection, scope)
    facts = incident_facts(connection, notes["incident"].unique(), scope.hidden_incidents)
    services = dict(zip(facts["id"], facts["service"], strict=True))
    people = graph.people_graph(interactions_frame(connection, scope), notes, scope.end)
    teams = graph.communities(people, notes, services)
    drawn = graph.drawing(people, [t["members"] for t in teams])
    used = notes.groupby(["person", "tag"])["note"].nunique().sort_values(ascending=False)
    top_tags = {
        person: list(tags.index.get_level_values("tag")[:3])
        for person, tags in used.groupby(level="person")
    }
    for node in drawn["nodes"]:
        node["tags"] = top_tags.get(node["id"], [])
    central = graph.centrality(people)
    brokers = central.sort_values("betweenness", ascending=False).head(5)
    pairs = correlations.tag_pairs(notes)
    network = graph.tag_graph(pairs)
    tag_themes = graph.themes(network)
    return {
        "people": drawn,
        "communities": teams,
        "brokers": [
            {"person": row.person, "betweenness": round(float(row.betweenness), 4)}
            for row in brokers.itertuples()
            if row.betweenness > 0
        ],
        "tags": graph.drawing(network, tag_themes),
        "themes": tag_themes,
    }
