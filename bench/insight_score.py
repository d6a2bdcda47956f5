"""Score associations, alias suggestions, lead–lag and communities against the
simulator's planted patterns, at several seeds and sizes.

One command: `.venv/bin/python bench/insight_score.py [--seeds 1 2 3 4 5]
[--sizes 3000 6000 20000]`.

For each seed and size the simulated organisation is built as plain data (no database:
its notes become the frames `insights/` reads; restricted incidents are left out, as
for anyone outside their teams) over 42 days, and the analysis of the whole period is
scored:
- associations: the planted tag pair should be in the top 10 of the tag pairs, and the
  planted tag ↔ service and tag ↔ priority associations in the top 10 of that tag's
  associations (what its story shows), all with q < 0.05 (recall; their ranks in the
  whole list, where every service's own vocabulary ranks higher, are printed too); a
  reported association involving one of the steady noise tags (#handover, #fyi, ...) is
  a false discovery (precision = planted found / (planted found + noise reported));
  and the planted outcome (the tag's incidents take longer to resolve) should be found;
- alias suggestions: the drifted spelling (#pwreset → #password_reset) in the top 5
  (recall); precision = the share of the top 5 that are planted drifts;
- lead–lag: the planted leader → follower pair found with its lag within one hour
  (recall); precision = planted pairs found / pairs reported;
- communities: normalized mutual information (arithmetic mean, as scikit-learn's
  default) between the Louvain communities and the people's teams in the simulator,
  everyone not in a community of 3 or more counted as a group of one.
Goals (issue 13): associations in the top 10 with q < 0.05 and ≤ 5 % false discoveries
among the noise, the drift in the top 5, the lead–lag lag within one bucket, NMI ≥ 0.8.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.intake.demo import PEOPLE  # noqa: E402
from app.intake.simulate import simulate  # noqa: E402
from app.text import extract_mentions, unique_hashtags  # noqa: E402
from insights import aliases, correlations, graph, lead_lag  # noqa: E402

END = datetime(2026, 11, 30, tzinfo=UTC)


def frames(world):
    """note_tags, incidents, interactions and tag × hour rows of the world's public part."""
    hidden = {i.number for i in world.incidents if i.restricted}
    ids = {i.number: n + 1 for n, i in enumerate(world.incidents)}
    notes = [n for n in world.notes if n.incident not in hidden]
    author = {n.key: n.author for n in notes}
    note_tags = pd.DataFrame(
        [
            {
                "note": n.key,
                "tag": token.key,
                "person": n.author,
                "incident": ids.get(n.incident, 0),
                "at": pd.Timestamp(n.posted_at).tz_convert(UTC),
            }
            for n in notes
            for token in unique_hashtags(n.text)
        ]
    )
    incidents = pd.DataFrame(
        [
            {
                "id": ids[i.number],
                "service": i.service,
                "category": i.category,
                "assignment_group": i.group,
                "priority": i.priority,
                "registered_at": i.registered_at,
                "resolved_at": i.resolved_at,
                "made_sla": i.made_sla,
                "reopen_count": int(i.reopened_at is not None),
            }
            for i in world.incidents
            if not i.restricted
        ]
    )
    for column in ("registered_at", "resolved_at"):
        incidents[column] = pd.to_datetime(incidents[column], utc=True)
    links = []
    for n in notes:
        at = pd.Timestamp(n.posted_at).tz_convert(UTC)
        if n.reply_to in author:
            links.append((n.author, author[n.reply_to], "reply", at))
        for name in extract_mentions(n.text):
            links.append((n.author, name.lower(), "mention", at))
    interactions = pd.DataFrame(links, columns=["source", "target", "kind", "at"])
    interactions = interactions[interactions["source"] != interactions["target"]]
    hours = note_tags.assign(hour=note_tags["at"].map(lambda t: int(t.timestamp()) // 3600))
    hours = hours.groupby(["tag", "hour", "person", "incident"]).size().rename("notes")
    return note_tags, incidents, interactions, hours.reset_index()


def nmi(a: list, b: list) -> float:
    """Normalized mutual information of two labelings (arithmetic-mean normalization)."""
    n = len(a)
    joint, left, right = Counter(zip(a, b, strict=True)), Counter(a), Counter(b)
    mutual = sum(c / n * math.log(c * n / (left[x] * right[y])) for (x, y), c in joint.items())
    h_a = -sum(c / n * math.log(c / n) for c in left.values())
    h_b = -sum(c / n * math.log(c / n) for c in right.values())
    return 1.0 if h_a + h_b == 0 else 2 * mutual / (h_a + h_b)


def score_world(world) -> dict:
    truth = world.truth
    note_tags, incidents, interactions, hours = frames(world)
    noise = set(truth.noise)
    pairs = correlations.tag_pairs(note_tags)
    attributes = correlations.tag_attributes(note_tags, incidents)
    outcomes = correlations.tag_outcomes(note_tags, incidents)
    planted = [tuple(sorted(p["tags"])) for p in truth.tag_pairs]
    top_pairs = [(p["a"], p["b"]) for p in pairs[:10]]
    found = sum(pair in top_pairs for pair in planted)
    wanted = len(planted)
    ranks = []  # of each planted attribute in the whole list (for the record)
    for planted_attribute in truth.tag_attributes:
        tag = planted_attribute["tag"]
        theirs = [(a["attribute"], a["value"]) for a in attributes if a["tag"] == tag]
        everyone = [(a["tag"], a["attribute"], a["value"]) for a in attributes]
        for attribute in ("service", "priority"):
            wanted += 1
            key = (attribute, str(planted_attribute[attribute]))
            found += key in theirs[:10]
            if (tag, *key) in everyone:
                ranks.append(everyone.index((tag, *key)) + 1)
    noise_reported = sum(1 for p in pairs if {p["a"], p["b"]} & noise)
    noise_reported += sum(1 for a in attributes if a["tag"] in noise)
    outcome_found = all(
        any(
            o["tag"] == t["tag"] and o["outcome"] == "time_to_resolve" and o["effect"] > 1
            for o in outcomes
        )
        for t in truth.tag_attributes
    )
    services = dict(zip(incidents["id"], incidents["service"], strict=True))
    suggestions = aliases.alias_suggestions(note_tags, services)[:5]
    drifts = {(d["from"], d["to"]) for d in truth.alias_drift}
    suggested = [(s["tag"], s["canonical"]) for s in suggestions]
    alias_hits = sum(d in suggested for d in drifts)
    leads = lead_lag.lead_lag(hours)
    lead_hits = sum(
        any(
            r["leader"] == t["leader"]
            and r["follower"] == t["follower"]
            and abs(r["lag_hours"] - t["lag_hours"]) <= 1
            for r in leads
        )
        for t in truth.lead_lag
    )
    people = graph.people_graph(interactions, note_tags, END)
    communities = graph.communities(people, note_tags)
    group = {m: i for i, c in enumerate(communities) for m in c["members"]}
    everyone = sorted(set(note_tags["person"]))
    team = {p.username: p.team for p in world.people}
    labels = [group.get(p, f"alone:{p}") for p in everyone]
    return {
        "assoc": (found, wanted, noise_reported),
        "ranks": ranks,
        "outcome": outcome_found,
        "alias": (alias_hits, len(drifts), len(suggestions)),
        "lead": (lead_hits, len(truth.lead_lag), len(leads)),
        "nmi": nmi(labels, [team.get(p, "?") for p in everyone]),
        "teams": len(communities),
    }


def f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 6000, 20000])
    args = parser.parse_args()
    print(f"seeds {args.seeds}, 42 days each")
    head = f"{'notes':>6} {'analysis':<26} {'precision':>9} {'recall':>7} {'F1':>6}  detail"
    print(head)
    for size in args.sizes:
        scored = [
            score_world(simulate(notes=size, seed=s, days=42, end=END, named=PEOPLE))
            for s in args.seeds
        ]
        found = sum(s["assoc"][0] for s in scored)
        wanted = sum(s["assoc"][1] for s in scored)
        noise = sum(s["assoc"][2] for s in scored)
        rows = [
            (
                "associations (top 10)",
                found / max(found + noise, 1),
                found / wanted,
                f"{noise} noise discoveries; planted outcome found in "
                f"{sum(s['outcome'] for s in scored)}/{len(scored)}; attribute ranks in "
                f"the whole list {sorted(r for s in scored for r in s['ranks'])}",
            ),
            (
                "alias suggestions (top 5)",
                sum(s["alias"][0] for s in scored) / max(sum(s["alias"][2] for s in scored), 1),
                sum(s["alias"][0] for s in scored) / sum(s["alias"][1] for s in scored),
                f"{sum(s['alias'][2] for s in scored)} suggestions in all",
            ),
            (
                "lead–lag (lag ± 1 h)",
                sum(s["lead"][0] for s in scored) / max(sum(s["lead"][2] for s in scored), 1),
                sum(s["lead"][0] for s in scored) / sum(s["lead"][1] for s in scored),
                f"{sum(s['lead'][2] for s in scored)} pairs reported",
            ),
        ]
        for name, precision, recall, detail in rows:
            print(
                f"{size:>6} {name:<26} {precision:9.2f} {recall:7.2f} "
                f"{f1(precision, recall):6.2f}  {detail}"
            )
        values = [s["nmi"] for s in scored]
        print(
            f"{size:>6} {'communities (NMI)':<26} {'':>9} {'':>7} {min(values):6.2f}  "
            f"NMI min {min(values):.2f}, mean {sum(values) / len(values):.2f}; "
            f"{sum(s['teams'] for s in scored) / len(scored):.1f} teams a seed"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
