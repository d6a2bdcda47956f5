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
    graph: nx.Graph, note_tags: pd.DataFrame, *, min_size: int = 3, top_tags: int = 5
) -> list[dict]:
    """Louvain communities (fixed seed) of `min_size` people or more, largest first:
    members (sorted), tags (their most used, most distinctive first)."""
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
        teams.append({"members": sorted(members), "tags": tags})
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
