"""A pattern report of a period and scope: every pattern the analyses find, each with its
evidence (representative notes) and the people who know it best, beside the incident
metrics and what plain counts alone would have said.

Patterns come from `summary.summary` (trends, emerging and declining tags, tag pairs,
tag ↔ attribute, tag ↔ outcome, lead–lag, teams, alias suggestions). Each gets a stable
`key` (its kind and the tags and values that identify it), so two runs of the same
report can be compared (`compare`): new patterns, gone ones, and those that grew or
faded by their size (people, notes, lift or effect).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pandas as pd

from insights import evidence, graph
from insights.incident_metrics import response_times
from insights.scope import Scope
from insights.summary import summary_and_frames

Progress = Callable[[int, int, str], None]

GREW = 1.5  # a pattern grew when its size is this many times the previous run's, faded below 1/GREW
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def patterns(found: dict) -> list[dict]:
    """The patterns of a `summary` result, ranked within their kind as found: each a
    dict with key, kind, section, tags, size (what grows or fades), q and the row."""
    rows: list[dict] = []

    def add(kind: str, section: str, key: str, tags: list[str], size: float, row: dict):
        q = row.get("q")
        rows.append(
            {
                "key": f"{kind}:{key}",
                "kind": kind,
                "section": section,
                "tags": tags,
                "size": round(float(size), 4),
                "q": None if q is None else float(q),
                "row": row,
            }
        )

    for r in found["trends"]:
        add("trend", "trends", r["tag"], [r["tag"]], r["people"], r)
    for r in found["emerging"]:
        add("emerging", "trends", r["tag"], [r["tag"]], r["people"], r)
    for r in found["declining"]:
        add("declining", "trends", r["tag"], [r["tag"]], r["score"], r)
    for r in found["alias_suggestions"]:
        add("alias", "evolving", f"{r['tag']}>{r['canonical']}", [r["tag"], r["canonical"]],
            r["score"], r)  # fmt: skip
    for r in found["tag_pairs"]:
        add("pair", "correlations", f"{r['a']}+{r['b']}", [r["a"], r["b"]], r["lift"], r)
    for r in found["tag_attributes"]:
        key = f"{r['tag']}:{r['attribute']}={r['value']}"
        add("attribute", "correlations", key, [r["tag"]], r["lift"], r)
    for r in found["tag_outcomes"]:
        add("outcome", "outcomes", f"{r['tag']}:{r['outcome']}", [r["tag"]], r["effect"], r)
    for r in found["lead_lag"]:
        key = f"{r['leader']}>{r['follower']}"
        add("lead_lag", "lead_lag", key, [r["leader"], r["follower"]], r["strength"], r)
    for r in found["communities"]:
        add("team", "people", ",".join(r["tags"][:3]) or ",".join(r["members"][:3]),
            r["tags"][:3], len(r["members"]), r)  # fmt: skip
    return rows


def by_tag(notes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each tag's rows of `notes`: looked up once per pattern instead of a scan of all."""
    return {tag: rows for tag, rows in notes.groupby("tag", sort=False)}


def pattern_notes(
    tagged: dict[str, pd.DataFrame], facts: pd.DataFrame, pattern: dict
) -> pd.DataFrame:
    """The notes that show `pattern` (columns note, person, incident, at; `tagged` from
    `by_tag`): for a pair the notes with both tags, for an attribute the tag's notes on
    incidents with that value, for a team its members' notes with its tags, otherwise
    the notes with its tags."""
    frames = [tagged[t] for t in pattern["tags"] if t in tagged]
    if not frames:
        return pd.DataFrame(columns=["note", "tag", "person", "incident", "at"])
    if pattern["kind"] == "pair":
        if len(frames) < 2:
            return frames[0].iloc[0:0]
        chosen = frames[0][frames[0]["note"].isin(set(frames[1]["note"]))]
    elif pattern["kind"] == "attribute":
        row = pattern["row"]
        column = facts.get(row["attribute"])
        ids = set()
        if column is not None:
            ids = set(facts.loc[column.astype(str) == str(row["value"]), "id"])
        chosen = frames[0][frames[0]["incident"].isin(ids)]
    elif pattern["kind"] == "team":
        members = set(pattern["row"]["members"])
        every = pd.concat(frames)
        chosen = every[every["person"].isin(members)]
    else:
        chosen = pd.concat(frames) if len(frames) > 1 else frames[0]
    return chosen.drop_duplicates("note")


def who_knows(chosen: pd.DataFrame, end: datetime, top: int = 3) -> list[str]:
    """The people who know a pattern best: `graph.experts`' score (notes, two more per
    incident, decayed with a 30-day half-life) over the pattern's notes."""
    if chosen.empty:
        return []
    return graph.experts(chosen.assign(tag="pattern"), end, top=top, min_notes=1).get("pattern", [])


def incident_metrics(incidents: pd.DataFrame) -> dict:
    """MTTA/MTTR (`incident_metrics.response_times`) and the share of incidents that met
    their SLA, by priority and by service."""
    found = {}
    for by in ("priority", "service"):
        times = response_times(incidents, by)
        if incidents.empty:
            times["sla_met"] = pd.Series(dtype=float)
        else:
            sla = incidents.assign(**{by: incidents[by].fillna("—")}).groupby(by)["made_sla"]
            met = sla.apply(lambda s: s.dropna().astype(bool).mean() if s.notna().any() else None)
            times["sla_met"] = times[by].map(met)
        found[f"by_{by}"] = _records(times)
    return found


def counts_alone(notes: pd.DataFrame, facts: pd.DataFrame) -> dict:
    """What plain counts of tagged notes say, with no model: by hour of day (UTC), by
    weekday, by service and by impact of their incidents; the tags most written."""
    frame = notes.drop_duplicates("note")
    by_incident = facts.set_index("id") if not facts.empty else None

    def counted(values: pd.Series, name: str, order=None) -> list[dict]:
        counts = values.value_counts()
        if order is not None:
            counts = counts.reindex(order, fill_value=0)
        return [{name: key, "notes": int(n)} for key, n in counts.items()]

    def of_incident(column: str) -> pd.Series:
        if by_incident is None:
            return pd.Series(dtype=object)
        return frame["incident"].map(by_incident[column]).dropna()

    return {
        "hour_of_day": counted(frame["at"].dt.hour, "hour", range(24)),
        "weekday": counted(
            frame["at"].dt.dayofweek.map(dict(enumerate(WEEKDAYS))), "weekday", WEEKDAYS
        ),  # fmt: skip
        "service": counted(of_incident("service").astype(str), "service")[:15],
        "impact": counted(of_incident("impact").astype(int), "impact"),
        "tags": [
            {"tag": tag, "notes": int(n)} for tag, n in notes["tag"].value_counts()[:15].items()
        ],
    }


def build(
    connection,
    scope: Scope,
    now: datetime,
    *,
    quotes: int = 5,
    progress: Progress | None = None,
) -> dict:
    """Everything a pattern report shows for `scope`: the patterns (each with up to
    `quotes` representative note ids and who knows it best), the `summary` it came from,
    incident metrics and the counts alone. Plain data; the app adds texts and names."""
    report = progress or (lambda done, total, step: None)
    # Progress in thousandths: the analyses to 600, the patterns' evidence to 950.
    found, notes, incidents, facts = summary_and_frames(
        connection, scope, now, progress=lambda d, t, s: report(600 * d // t, 1000, s)
    )
    tagged = by_tag(notes)
    found_patterns = patterns(found)
    for done, pattern in enumerate(found_patterns):
        if done % 20 == 0:
            share = 600 + 350 * done // max(len(found_patterns), 1)
            report(share, 1000, f"representative notes ({done} of {len(found_patterns)} patterns)")
        chosen = pattern_notes(tagged, facts, pattern)
        pattern["notes"] = evidence.representative(chosen, quotes) if not chosen.empty else []
        pattern["note_count"] = int(chosen["note"].nunique()) if not chosen.empty else 0
        pattern["people_count"] = int(chosen["person"].nunique()) if not chosen.empty else 0
        pattern["follow_up"] = who_knows(chosen, scope.end)
    report(950, 1000, "incident metrics and plain counts")
    result = {
        "patterns": found_patterns,
        "found": found,
        "metrics": incident_metrics(incidents),
        "counts": counts_alone(notes, facts),
        "totals": {
            "notes": int(notes["note"].nunique()),
            "people": int(notes["person"].nunique()),
            "tags": int(notes["tag"].nunique()),
            "incidents": len(incidents),
        },
    }
    report(1000, 1000, "analysed")
    return result


def compare(previous: list[dict], current: list[dict]) -> dict:
    """How a report's patterns changed since its previous run (lists of {key, size}):
    new, gone, grew (size × GREW or more) and faded (size ÷ GREW or less)."""
    before = {p["key"]: p["size"] for p in previous}
    after = {p["key"]: p["size"] for p in current}
    changed = [
        {"key": key, "before": before[key], "after": size}
        for key, size in after.items()
        if key in before
    ]
    return {
        "new": sorted(set(after) - set(before)),
        "gone": sorted(set(before) - set(after)),
        "grew": [c for c in changed if c["after"] >= GREW * c["before"] > 0],
        "faded": [c for c in changed if 0 < c["after"] <= c["before"] / GREW],
    }


def _records(frame: pd.DataFrame) -> list[dict]:
    clean = frame.astype(object).where(frame.notna(), None)
    return [
        {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}
        for row in clean.to_dict("records")
    ]
