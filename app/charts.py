"""Vega-Lite specifications of I2I's charts, built from plain analysis results.

One spec serves the page (drawn in the browser by static/js/charts.js with Vega's
CSP-safe expression interpreter, so no `unsafe-eval`) and the exported reports. Each
function returns the spec and the table it draws: every chart is shown with its table
behind it, for screen readers and for anyone who would rather read the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

PALETTE = ["#0b5cad", "#c2410c", "#1a7f37", "#8250df", "#b42318", "#0e7490", "#8a5a00"]
CONFIG = {
    "font": "system-ui, sans-serif",
    "view": {"stroke": None},
    "axis": {"labelColor": "#57606a", "titleColor": "#57606a", "gridColor": "#d8dde3"},
    "legend": {"labelColor": "#57606a", "titleColor": "#57606a", "orient": "bottom"},
    "range": {"category": PALETTE},
}


@dataclass(frozen=True)
class Chart:
    """A chart: its Vega-Lite spec, what it shows (caption), and the table it draws (a
    cell is a value, or {"text", "href"} for a link)."""

    name: str
    spec: dict
    caption: str
    columns: tuple[str, ...]
    rows: list[tuple]


def _spec(description: str, values: list[dict], **parts) -> dict:
    return {
        "description": description,
        "width": "container",
        "height": parts.pop("height", 180),
        "autosize": {"type": "fit", "contains": "padding"},
        "data": {"values": values},
        "config": CONFIG,
        **parts,
    }


def volume(name: str, tag: str, points: list[dict], bucket_hours: int) -> Chart:
    """Notes and distinct people per bucket for one tag: two lines over time."""
    unit = "hour" if bucket_hours == 1 else "day"
    caption = f"Notes and people with #{tag} per {unit}"
    spec = _spec(
        caption,
        points,
        transform=[{"fold": ["notes", "people"], "as": ["measure", "count"]}],
        mark={"type": "line", "interpolate": "monotone", "point": len(points) <= 40},
        encoding={
            "x": {"field": "at", "type": "temporal", "title": None},
            "y": {"field": "count", "type": "quantitative", "title": f"per {unit}"},
            "color": {"field": "measure", "type": "nominal", "title": None},
            "tooltip": [
                {"field": "at", "type": "temporal", "title": unit},
                {"field": "measure", "type": "nominal"},
                {"field": "count", "type": "quantitative"},
            ],
        },
    )
    rows = [(p["at"][:16].replace("T", " "), p["notes"], p["people"]) for p in points]
    return Chart(name, spec, caption, (f"{unit.title()} (UTC)", "Notes", "People"), rows)


def shares(name: str, caption: str, label: str, rows: list[dict]) -> Chart:
    """Where a tag lands (`correlations.landing` rows): its share of incidents per
    value beside the share of all tagged incidents."""
    values = [{"value": r["value"], "this tag": r["share"], "all tags": r["base"]} for r in rows]
    spec = _spec(
        caption,
        values,
        transform=[{"fold": ["this tag", "all tags"], "as": ["of", "share"]}],
        height={"step": 14},
        mark={"type": "bar"},
        encoding={
            "y": {"field": "value", "type": "nominal", "title": None, "sort": None},
            "yOffset": {"field": "of"},
            "x": {"field": "share", "type": "quantitative", "axis": {"format": "%"}, "title": None},
            "color": {"field": "of", "type": "nominal", "title": None},
            "tooltip": [
                {"field": "value", "type": "nominal", "title": label},
                {"field": "of", "type": "nominal"},
                {"field": "share", "type": "quantitative", "format": ".0%"},
            ],
        },
    )
    table = [
        (r["value"], r["count"], f"{r['share']:.0%}", f"{r['base']:.0%}", r["lift"], _q(r["q"]))
        for r in rows
    ]
    columns = (label, "Incidents", "Share", "All tags", "Lift", "q")
    return Chart(name, spec, caption, columns, table)


def heatmap(name: str, pairs: list[dict], top: int = 15) -> Chart:
    """NPMI of the strongest tag pairs as a matrix (both halves filled)."""
    pairs = pairs[: top * 2]
    tags = sorted({p["a"] for p in pairs} | {p["b"] for p in pairs})
    values = [
        {"a": x, "b": y, "npmi": p["npmi"], "count": p["count"], "q": p["q"]}
        for p in pairs
        for x, y in ((p["a"], p["b"]), (p["b"], p["a"]))
    ]
    caption = "How strongly tags go together in notes (NPMI: 0 independent, 1 always together)"
    spec = _spec(
        caption,
        values,
        height={"step": 22} if tags else 60,
        mark={"type": "rect"},
        encoding={
            "x": {"field": "a", "type": "nominal", "title": None, "sort": tags},
            "y": {"field": "b", "type": "nominal", "title": None, "sort": tags},
            "color": {
                "field": "npmi",
                "type": "quantitative",
                "scale": {"scheme": "blues", "domain": [0, 1]},
                "title": "NPMI",
            },
            "tooltip": [
                {"field": "a", "type": "nominal", "title": "tag"},
                {"field": "b", "type": "nominal", "title": "with"},
                {"field": "npmi", "type": "quantitative"},
                {"field": "count", "type": "quantitative", "title": "notes together"},
            ],
        },
    )
    rows = [
        (f"#{p['a']}", f"#{p['b']}", p["npmi"], p["lift"], p["count"], _q(p["q"])) for p in pairs
    ]
    return Chart(name, spec, caption, ("Tag", "With", "NPMI", "Lift", "Notes", "q"), rows)


def lead_lag(name: str, rows: list[dict]) -> Chart:
    """Which tag precedes which: one bar per pair, its length the lag, its shade the
    strength."""
    values = [
        {
            "pair": f"#{r['leader']} → #{r['follower']}",
            "lag_hours": r["lag_hours"],
            "strength": r["strength"],
        }
        for r in rows
    ]
    caption = "Tags that tend to precede others, by how many hours"
    spec = _spec(
        caption,
        values,
        height={"step": 22},
        mark={"type": "bar"},
        encoding={
            "y": {"field": "pair", "type": "nominal", "title": None, "sort": None},
            "x": {"field": "lag_hours", "type": "quantitative", "title": "hours ahead"},
            "color": {
                "field": "strength",
                "type": "quantitative",
                "scale": {"scheme": "oranges", "domain": [0, 1]},
            },
            "tooltip": [
                {"field": "pair", "type": "nominal"},
                {"field": "lag_hours", "type": "quantitative", "title": "hours"},
                {"field": "strength", "type": "quantitative", "format": ".0%"},
            ],
        },
    )
    table = [
        (f"#{r['leader']}", f"#{r['follower']}", r["lag_hours"], f"{r['strength']:.0%}")
        for r in rows
    ]
    return Chart(name, spec, caption, ("Leader", "Follower", "Hours ahead", "Strength"), table)


def network(
    name: str,
    caption: str,
    nodes: list[dict],
    edges: list[dict],
    *,
    group: str = "community",
    labelled: int = 15,
) -> Chart:
    """A graph laid out beforehand (x, y in [0, 1]): edges as lines, nodes as circles
    coloured by community and sized by weight, the `labelled` heaviest named; a click
    on a node opens its `href`; drag pans, the wheel zooms."""
    heaviest = {n["id"] for n in sorted(nodes, key=lambda n: -n["size"])[:labelled]}
    nodes = [{**n, "named": n["id"] in heaviest} for n in nodes]
    spot = {n["id"]: n for n in nodes}
    lines = [
        {
            "x": spot[e["a"]]["x"],
            "y": spot[e["a"]]["y"],
            "x2": spot[e["b"]]["x"],
            "y2": spot[e["b"]]["y"],
            "weight": e["weight"],
        }
        for e in edges
        if e["a"] in spot and e["b"] in spot
    ]
    plain = {"axis": None, "scale": {"domain": [-0.12, 1.12]}}
    spec = {
        **_spec(caption, [], height=380),
        "layer": [
            {
                "data": {"values": lines},
                "mark": {"type": "rule", "color": "#9aa7b4", "opacity": 0.5},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", **plain},
                    "y": {"field": "y", "type": "quantitative", **plain},
                    "x2": {"field": "x2"},
                    "y2": {"field": "y2"},
                    "strokeWidth": {
                        "field": "weight",
                        "type": "quantitative",
                        "legend": None,
                        "scale": {"range": [0.5, 4]},
                    },
                },
            },
            {
                "data": {"values": nodes},
                "mark": {"type": "circle", "opacity": 0.9, "cursor": "pointer"},
                "params": [{"name": "zoom", "select": "interval", "bind": "scales"}],
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", **plain},
                    "y": {"field": "y", "type": "quantitative", **plain},
                    "size": {
                        "field": "size",
                        "type": "quantitative",
                        "legend": None,
                        "scale": {"range": [40, 600]},
                    },
                    "color": {"field": "community", "type": "nominal", "title": group},
                    "href": {"field": "href"},
                    "tooltip": [
                        {"field": "label", "type": "nominal", "title": "who"},
                        {"field": "community", "type": "nominal", "title": group},
                        {"field": "about", "type": "nominal", "title": "works on"},
                    ],
                },
            },
            {
                "data": {"values": nodes},
                "transform": [{"filter": "datum.named"}],
                "mark": {"type": "text", "dy": -11, "fontSize": 11, "color": "#1b1f24"},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", **plain},
                    "y": {"field": "y", "type": "quantitative", **plain},
                    "text": {"field": "label"},
                    "href": {"field": "href"},
                },
            },
        ],
    }
    spec.pop("data")
    rows = [
        ({"text": n["label"], "href": n["href"]}, n["community"], n["about"], n["size"])
        for n in nodes
    ]
    columns = ("Node", group.title(), "About", "Weight (PageRank)")
    return Chart(name, spec, caption, columns, rows)


def bars(name: str, caption: str, rows: list[dict], label: str, value: str) -> Chart:
    """One bar per row: `value` by `label`, in the order given (plain counts)."""
    spec = _spec(
        caption,
        rows,
        height={"step": 16},
        mark={"type": "bar"},
        encoding={
            "y": {"field": label, "type": "nominal", "title": None, "sort": None},
            "x": {"field": value, "type": "quantitative", "title": value},
            "tooltip": [
                {"field": label, "type": "nominal"},
                {"field": value, "type": "quantitative"},
            ],
        },
    )
    table = [(r[label], r[value]) for r in rows]
    return Chart(name, spec, caption, (label.replace("_", " ").title(), value.title()), table)


def _q(q: float) -> str:
    return "< 0.001" if q < 0.001 else f"{q:.3f}"
