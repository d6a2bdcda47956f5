"""How long the insight engine takes on 1,000,000 notes, and how much memory it needs.

One command: `.venv/bin/python bench/insights_speed.py`. It uses the simulator's year of
1,000,000 notes in SQLite (bench/dataset.py's notes_dataset: built on first use, shared
with the report benchmark) and runs, in a fresh process each time:
  * trends for the last 7 days (trending, emerging, declining, from the tag × hour
    aggregates with their four weeks of baseline): cold (the first call of the process)
    and warm (the median of five more calls);
  * correlations (tag pairs, tag ↔ attribute, tag ↔ outcome) and the graph (people
    graph, communities, experts) for the last 90 days, cold and warm;
  * everything `i2i insights --json` computes (lead–lag and alias suggestions too) for
    the last 90 days, cold and warm;
  * the tag page's story of the most used tag over 90 days, and the graph page (people
    graph and tag network, laid out), 90 days, cold and warm;
and reports the process's peak memory (ru_maxrss). Pages keep these results
(`app.results`), so warm is what a second look costs at most.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOALS = {"trends_cold": 3.0, "trends_warm": 0.5, "patterns_cold": 5.0, "peak_mb": 1536}


def trends_of(connection, scope):
    """What the trends page computes (trend lists and their series)."""
    from bench.dataset import END
    from insights.summary import trend_summary

    found = trend_summary(connection, scope, END)
    return found["trends"], found["emerging"], found["declining"]


def patterns_of(connection, scope):
    from insights import correlations, graph
    from insights.frames import incidents_frame, interactions_frame, note_tags_frame

    notes = note_tags_frame(connection, scope)
    incidents = incidents_frame(connection, scope)
    people = graph.people_graph(interactions_frame(connection, scope), notes, scope.end)
    return (
        correlations.tag_pairs(notes),
        correlations.tag_attributes(notes, incidents),
        correlations.tag_outcomes(notes, incidents),
        graph.communities(people, notes),
        graph.experts(notes, scope.end),
    )


def everything_of(connection, scope):
    from bench.dataset import END
    from insights.summary import summary

    return tuple(summary(connection, scope, END).values())


def story_of(connection, scope):
    from sqlalchemy import text

    from insights.story import tag_story

    top = connection.execute(text("SELECT key FROM hashtags ORDER BY note_count DESC LIMIT 1"))
    found = tag_story(connection, scope, top.scalar_one())
    return found["volume"], found["related"], found["experts"], found["representative"]


def graphs_of(connection, scope):
    from insights.summary import graphs

    found = graphs(connection, scope)
    return found["people"]["nodes"], found["tags"]["nodes"], found["communities"]


RUNS = {
    "trends": trends_of,
    "patterns": patterns_of,
    "everything": everything_of,
    "story": story_of,
    "graphs": graphs_of,
}


def child(database: str, what: str) -> None:
    """Time one analysis cold and warm in this (fresh) process; print JSON."""
    from sqlalchemy import create_engine, text

    from bench.dataset import END
    from insights.scope import Scope

    engine = create_engine(f"sqlite:///{database}")
    days = 7 if what == "trends" else 90
    scope = Scope(END - timedelta(days=days), END)
    run = RUNS[what]
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        started = time.perf_counter()
        found = run(connection, scope)
        cold = time.perf_counter() - started
        warm = []
        for _ in range(5):
            started = time.perf_counter()
            run(connection, scope)
            warm.append(time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sizes = [len(part) for part in found]
    print(
        json.dumps(
            {"cold": cold, "warm": statistics.median(warm), "peak_mb": peak_mb, "sizes": sizes}
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, metavar=("DATABASE", "WHAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    from bench.dataset import notes_dataset

    database = notes_dataset(args.notes) / "bench.sqlite"
    results = {}
    for what in RUNS:
        command = [sys.executable, __file__, "--child", str(database), what]
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
        results[what] = json.loads(done.stdout.strip().splitlines()[-1])
    trends, patterns, everything = results["trends"], results["patterns"], results["everything"]
    story, graphs = results["story"], results["graphs"]
    peak = max(r["peak_mb"] for r in results.values())
    print(f"{args.notes:,} notes (SQLite, the simulator's year)")
    print(f"{'figure':44} {'measured':>10} {'goal':>8}")
    rows = [
        ("trends, 7 days, cold (s)", trends["cold"], GOALS["trends_cold"]),
        ("trends, 7 days, warm (s)", trends["warm"], GOALS["trends_warm"]),
        ("correlations and graph, 90 days, cold (s)", patterns["cold"], GOALS["patterns_cold"]),
        ("correlations and graph, 90 days, warm (s)", patterns["warm"], GOALS["patterns_cold"]),
        ("all of i2i insights, 90 days, cold (s)", everything["cold"], GOALS["patterns_cold"]),
        ("all of i2i insights, 90 days, warm (s)", everything["warm"], GOALS["patterns_cold"]),
        ("tag story, 90 days, cold (s)", story["cold"], GOALS["patterns_cold"]),
        ("tag story, 90 days, warm (s)", story["warm"], GOALS["patterns_cold"]),
        ("people and tag graphs, 90 days, cold (s)", graphs["cold"], GOALS["patterns_cold"]),
        ("people and tag graphs, 90 days, warm (s)", graphs["warm"], GOALS["patterns_cold"]),
        ("peak memory of any of the processes (MB)", peak, GOALS["peak_mb"]),
    ]
    for name, measured, goal in rows:
        print(f"{name:44} {measured:10.2f} {goal:8.1f}")
    print(
        f"found: trends/emerging/declining {trends['sizes']}; "
        f"pairs/attributes/outcomes/communities/experts {patterns['sizes']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
