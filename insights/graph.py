"""Who works with whom, and who knows a tag best (networkx).

People are linked by replies, mentions and working the same incident (both posted on
it), each link weighted by how often, a recent one weighing more (half-life
`half_life_days`). Communities: Louvain (Blondel et al. 2008) with a fixed seed, so the
same data gives the same teams; each named by its members' typical tags. Brokers:
betweenness centrality, sampled (k nodes, fixed seed) on large graphs. Experts of a tag:
its people ranked by notes, incidents and recency.
"""

from __future__ import annotations

from datetime import datetime
from itertools import combinations

import networkx as nx
import pandas as pd

SEED = 42


def _weight(ages_days: pd.Series, half_life_days: float) -> float:
    return float((0.5 ** (ages_days / half_life_days)).sum())


def people_graph(
    interactions: pd.DataFrame,
    note_tags: pd.DataFrame,
    end: datetime,
    *,
    half_life_days: float = 14.0,
    max_team: int = 25,
) -> nx.Graph:
    """The weighted people graph of a window (see the module's docstring). Incidents
    worked by more than `max_team` people link no one (an outage everyone joined says
    little about who works with whom)."""
    graph = nx.Graph()
    edges: dict[tuple[str, str], float] = {}

    def add(a: str, b: str, weight: float) -> None:
        if a != b:
            key = (a, b) if a < b else (b, a)
            edges[key] = edges.get(key, 0.0) + weight

    if not interactions.empty:
        age = (end - interactions["at"]).dt.total_seconds() / 86400
        for (a, b), ages in age.groupby([interactions["source"], interactions["target"]]):
            add(a, b, _weight(ages, half_life_days))
    on = note_tags[note_tags["incident"] != 0]
    if not on.empty:
        last = on.groupby(["incident", "person"])["at"].max().reset_index()
        for _, team in last.groupby("incident"):
            if len(team) > max_team:
                continue
            for (a, at_a), (b, at_b) in combinations(
                zip(team["person"], team["at"], strict=True), 2
            ):
                age = (end - max(at_a, at_b)).total_seconds() / 86400
                add(a, b, 0.5 ** (age / half_life_days))
    graph.add_nodes_from(note_tags["person"].unique())
    graph.add_weighted_edges_from((a, b, w) for (a, b), w in edges.items())
    return graph


def communities(
    graph: nx.Graph,
    note_tags: pd.DataFrame,
    services: dict[int, str] | None = None,
    *,
    min_size: int = 3,
    top_tags: int = 5,
) -> list[dict]:
    """Louvain communities (fixed seed) of `min_size` people or more, largest first:
    members (sorted), tags (their most used, most distinctive first) and services (of
    the incidents they posted on, most notes first; `services` maps incident ids)."""
    if graph.number_of_edges() == 0:
        return []
    found = nx.community.louvain_communities(graph, weight="weight", seed=SEED)
    overall = note_tags.groupby("tag")["note"].nunique()
    share = overall / max(overall.sum(), 1)
    teams = []
    for members in found:
        if len(members) < min_size:
            continue
        theirs = note_tags[note_tags["person"].isin(members)].groupby("tag")["note"].nunique()
        if theirs.empty:
            tags = []
        else:  # used by them, more than by everyone
            lift = (theirs / theirs.sum()) / share[theirs.index]
            ranked = (theirs * lift).sort_values(ascending=False)
            tags = [t for t in ranked.index if theirs[t] >= 2][:top_tags]
        theirs_on = note_tags[note_tags["person"].isin(members) & (note_tags["incident"] != 0)]
        on = theirs_on.drop_duplicates("note")["incident"].map(services or {}).dropna()
        named = list(on.value_counts().index[:3])
        teams.append({"members": sorted(members), "tags": tags, "services": named})
    return sorted(teams, key=lambda t: (-len(t["members"]), t["members"]))


def centrality(graph: nx.Graph, *, sample: int = 200) -> pd.DataFrame:
    """Per person: degree (weighted), PageRank, betweenness (sampled over `sample` nodes,
    fixed seed, when the graph is larger)."""
    if graph.number_of_nodes() == 0:
        return pd.DataFrame(columns=["person", "degree", "pagerank", "betweenness"])
    k = min(sample, graph.number_of_nodes())
    between = nx.betweenness_centrality(graph, k=k, weight=None, seed=SEED)
    rank = nx.pagerank(graph, weight="weight")
    degree = dict(graph.degree(weight="weight"))
    frame = pd.DataFrame(
        {
            "person": list(graph.nodes),
            "degree": [degree[n] for n in graph.nodes],
            "pagerank": [rank[n] for n in graph.nodes],
            "betweenness": [between[n] for n in graph.nodes],
        }
    )
    return frame.sort_values("pagerank", ascending=False).reset_index(drop=True)


def experts(
    note_tags: pd.DataFrame, end: datetime, *, top: int = 3, min_notes: int = 2, tags=None
) -> dict[str, list[str]]:
    """Per tag, the people who know it best: notes with it, plus two for each incident
    they used it on, decayed with a 30-day half-life; at most `top`, each with
    `min_notes` notes or more."""
    if note_tags.empty:
        return {}
    frame = note_tags if tags is None else note_tags[note_tags["tag"].isin(tags)]
    weight = 0.5 ** ((end - frame["at"]).dt.total_seconds() / 86400 / 30)
    frame = frame.assign(weight=weight)
    notes = frame.groupby(["tag", "person"]).agg(
        notes=("note", "nunique"), weight=("weight", "sum")
    )
    incidents = frame[frame["incident"] != 0].groupby(["tag", "person"])["incident"].nunique()
    notes["score"] = notes["weight"] + 2 * incidents.reindex(notes.index).fillna(0)
    found = {}
    for tag, people in notes[notes["notes"] >= min_notes].groupby(level="tag"):
        ranked = people.sort_values(["score", "notes"], ascending=False)
        found[tag] = [person for _, person in ranked.index[:top]]
    return dict(sorted(found.items()))


def tag_graph(pairs: list[dict]) -> nx.Graph:
    """The tag co-occurrence network: tags linked by their significant pairs
    (`correlations.tag_pairs`), weighted by NPMI."""
    graph = nx.Graph()
    graph.add_weighted_edges_from((p["a"], p["b"], max(p["npmi"], 0.01)) for p in pairs)
    return graph


def drawing(
    graph: nx.Graph, groups: list[list[str]], *, max_nodes: int = 120, max_edges: int = 400
) -> dict:
    """A picture of `graph`: its `max_nodes` most central nodes (PageRank) laid out by
    force (Fruchterman–Reingold, fixed seed; x and y scaled to [0, 1]), each with its
    group's number (1 for the first of `groups`, 0 for none) and its PageRank, and its
    `max_edges` heaviest links among them: {nodes: [{id, x, y, group, rank}], edges:
    [{a, b, weight}]}."""
    if graph.number_of_nodes() == 0:
        return {"nodes": [], "edges": []}
    rank = nx.pagerank(graph, weight="weight")
    linked = [n for n in graph.nodes if graph.degree(n) > 0]
    kept = sorted(linked, key=lambda n: (-rank[n], str(n)))[:max_nodes]
    if not kept:
        return {"nodes": [], "edges": []}
    shown = graph.subgraph(kept)
    spread = 2.0 / len(kept) ** 0.5  # twice networkx's default spacing: readable clusters
    spots = nx.spring_layout(shown, k=spread, iterations=100, weight="weight", seed=SEED)
    xs = [p[0] for p in spots.values()]
    ys = [p[1] for p in spots.values()]

    def scaled(value: float, low: float, high: float) -> float:
        return round(float((value - low) / (high - low)), 4) if high > low else 0.5

    group_of = {member: i + 1 for i, group in enumerate(groups) for member in group}
    nodes = [
        {
            "id": node,
            "x": scaled(spots[node][0], min(xs), max(xs)),
            "y": scaled(spots[node][1], min(ys), max(ys)),
            "group": group_of.get(node, 0),
            "rank": round(rank[node], 5),
        }
        for node in sorted(kept, key=str)
    ]
    heaviest = sorted(shown.edges(data="weight"), key=lambda e: (-e[2], str(e[0]), str(e[1])))
    edges = [{"a": a, "b": b, "weight": round(w, 4)} for a, b, w in heaviest[:max_edges]]
    return {"nodes": nodes, "edges": edges}


def themes(graph: nx.Graph, *, min_size: int = 2) -> list[list[str]]:
    """The tag network's themes: its Louvain communities (fixed seed) of `min_size`
    tags or more, largest first, each sorted."""
    if graph.number_of_edges() == 0:
        return []
    found = nx.community.louvain_communities(graph, weight="weight", seed=SEED)
    groups = [sorted(c) for c in found if len(c) >= min_size]
    return sorted(groups, key=lambda g: (-len(g), g))
