"""A tag's story over a window: what the tag page shows below its name.

Volume (notes and distinct people per day), the tags written beside it, the services
and priorities of its incidents, how its incidents fare against the others, who knows
it best, its incidents, how its company shifted from the window's first half to its
second, tags that look like other names for it, and a few representative notes. Each
part is one method of its family (`trends`, `correlations`, `graph`, `drift`,
`aliases`, `evidence`); this module only composes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from insights import aliases, correlations, drift, evidence, graph, trends
from insights.frames import incident_facts, incidents_frame, note_tags_frame, tag_hours_frame
from insights.scope import Scope


def tag_story(connection, scope: Scope, tag: str) -> dict:
    """The story of canonical tag `tag` in `scope` (its tags filter is ignored)."""
    scope = replace(scope, tags=())
    hours = tag_hours_frame(connection, replace(scope, tags=(tag,)))
    notes = note_tags_frame(connection, scope)
    incidents = incidents_frame(connection, scope)
    facts = incident_facts(connection, notes["incident"].unique(), scope.hidden_incidents)
    services = dict(zip(facts["id"], facts["service"], strict=True))
    mine = notes[notes["tag"] == tag]
    bucket = 1 if scope.end - scope.start <= timedelta(days=3) else 24
    on = mine[mine["incident"] != 0].groupby("incident")
    worked = on.agg(notes=("note", "nunique"), last=("at", "max"))
    worked = worked.sort_values(["last", "notes"], ascending=False).head(10)
    return {
        "volume": trends.volume(hours, tag, scope.start, scope.end, bucket),
        "bucket_hours": bucket,
        "notes": int(mine["note"].nunique()),
        "people": int(mine["person"].nunique()),
        "related": correlations.related_tags(notes, tag),
        "services": correlations.landing(notes, incidents, tag, "service"),
        "priorities": correlations.landing(notes, incidents, tag, "priority"),
        "outcomes": correlations.outcome_comparison(notes, incidents, tag),
        "experts": graph.experts(notes, scope.end, tags=[tag], top=5).get(tag, []),
        "incidents": [
            {"id": int(i), "notes": int(row["notes"]), "last": row["last"].isoformat()}
            for i, row in worked.iterrows()
        ],
        "drift": drift.company_shift(notes, services, tag, _middle(scope)),
        "alias_suggestions": aliases.alias_suggestions(notes, services, about=tag),
        "representative": evidence.representative(mine),
    }


def _middle(scope: Scope) -> datetime:
    return scope.start + (scope.end - scope.start) / 2
