"""The parts of a tag's story on small hand-computed cases: volume, related tags, where
it lands, outcomes against the others, company shift, representative notes, drawings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import networkx as nx
import pandas as pd
import pytest
from scipy.stats import fisher_exact, mannwhitneyu

from insights import correlations, drift, evidence, graph, trends
from insights.scope import hour_of
from tests.analysis.test_correlations import T0, note_tags


def test_volume_counts_notes_and_distinct_people_per_bucket_with_zeros():
    first = hour_of(T0)
    rows = pd.DataFrame(
        [
            {"tag": "vpn", "hour": first, "person": "a", "incident": 0, "notes": 3},
            {"tag": "vpn", "hour": first + 1, "person": "b", "incident": 0, "notes": 1},
            {"tag": "vpn", "hour": first + 1, "person": "a", "incident": 7, "notes": 2},
            {"tag": "dns", "hour": first, "person": "c", "incident": 0, "notes": 9},
        ]
    )
    found = trends.volume(rows, "vpn", T0, T0 + timedelta(hours=3), 1)
    assert [(p["notes"], p["people"]) for p in found] == [(3, 1), (3, 2), (0, 0)]
    assert found[0]["at"] == T0.isoformat()
    two = trends.volume(rows, "vpn", T0, T0 + timedelta(hours=3), 2)
    assert [(p["notes"], p["people"]) for p in two] == [(6, 2), (0, 0)]


def test_related_tags_are_those_written_with_it_more_than_chance():
    notes = [(["vpn", "mfa"], "a", 0)] * 6 + [(["vpn"], "b", 0)] * 2
    notes += [(["mfa"], "c", 0)] * 1 + [(["dns"], "d", 0)] * 20 + [(["vpn", "dns"], "e", 0)]
    found = correlations.related_tags(note_tags(notes), "vpn")
    assert [r["tag"] for r in found] == ["mfa"]
    assert found[0]["count"] == 6
    expected = fisher_exact([[6, 3], [1, 20]], alternative="greater").pvalue
    assert found[0]["q"] == pytest.approx(expected)  # one test: q = p
    assert correlations.related_tags(note_tags(notes), "nosuch") == []


def incidents_table(rows: list[tuple[int, str, int, float, bool, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": i,
                "service": service,
                "priority": priority,
                "registered_at": T0,
                "resolved_at": T0 + timedelta(hours=hours),
                "made_sla": made,
                "reopen_count": reopened,
            }
            for i, service, priority, hours, made, reopened in rows
        ]
    )


def test_landing_gives_the_share_of_its_incidents_beside_all_tagged_ones():
    incidents = incidents_table(
        [(1, "VPN", 2, 1, True, 0), (2, "VPN", 2, 1, True, 0), (3, "EPR", 3, 1, True, 0)]
        + [(i, "EPR", 3, 1, True, 0) for i in range(4, 10)]
    )
    notes = [(["vpn"], "a", 1), (["vpn"], "a", 2), (["vpn"], "b", 3)]
    notes += [(["epr"], "c", i) for i in range(3, 10)]
    found = correlations.landing(note_tags(notes), incidents, "vpn", "service")
    assert [(r["value"], r["count"]) for r in found] == [("VPN", 2), ("EPR", 1)]
    vpn = found[0]
    assert vpn["share"] == round(2 / 3, 3) and vpn["base"] == round(2 / 9, 3)
    assert vpn["lift"] == round((2 / 9) / ((3 / 9) * (2 / 9)), 3)


def test_outcomes_compare_its_incidents_with_the_others():
    slow = [(i, "VPN", 3, 10 + i, i % 2 == 0, 1 if i < 3 else 0) for i in range(1, 7)]
    quick = [(i, "EPR", 3, 1 + i / 10, True, 0) for i in range(7, 19)]
    incidents = incidents_table(slow + quick)
    notes = [(["vpn"], "a", i) for i in range(1, 7)] + [(["epr"], "b", i) for i in range(7, 19)]
    found = {
        r["outcome"]: r for r in correlations.outcome_comparison(note_tags(notes), incidents, "vpn")
    }
    ttr = found["time_to_resolve"]
    assert ttr["this"] == 13.5 and ttr["others"] == pytest.approx(2.25)  # (2.2 + 2.3) / 2
    assert ttr["effect"] == round(13.5 / 2.25, 3)
    hours_in = [10 + i for i in range(1, 7)]
    hours_out = [1 + i / 10 for i in range(7, 19)]
    p = mannwhitneyu(hours_in, hours_out, alternative="two-sided").pvalue
    assert ttr["p"] == pytest.approx(p)
    breach = found["sla_breach"]
    assert (breach["this"], breach["others"]) == (0.5, 0.0)  # three of six, none of twelve
    assert breach["p"] == pytest.approx(fisher_exact([[3, 3], [0, 12]]).pvalue)
    assert found["reopened"]["this"] == round(2 / 6, 3)
    assert all(0 <= r["q"] <= 1 for r in found.values())


def test_time_to_resolve_is_compared_within_each_priority():
    # P1s are fixed in an hour, P4s in a day: a tag on typical P4s is not "slow"
    p1 = [(i, "EPR", 1, 1 + i / 100, True, 0) for i in range(1, 11)]
    p4 = [(i, "Printing", 4, 24 + (i % 5), True, 0) for i in range(11, 31)]
    incidents = incidents_table(p1 + p4)
    notes = [(["printer"], "a", i) for i in range(11, 21)]
    notes += [(["epr"], "b", i) for i in range(1, 11)] + [
        (["toner"], "c", i) for i in range(21, 31)
    ]
    found = {
        r["outcome"]: r
        for r in correlations.outcome_comparison(note_tags(notes), incidents, "printer")
    }
    ttr = found["time_to_resolve"]
    assert ttr["effect"] == 1.0 and ttr["q"] > 0.5  # as long as other P4s
    assert ttr["this"] == 26.0  # its own median, in hours, for reading


def test_company_shift_names_what_it_gained_and_lost():
    middle = T0 + timedelta(hours=5.5)  # note n is at T0 + n hours
    before = [(["pwreset", "portal"], "a", 1)] * 6  # notes 0..5: before the middle
    after = [(["pwreset", "mfa"], "a", 2)] * 6  # notes 6..11: after
    frame = note_tags(before + after)
    found = drift.company_shift(frame, {1: "Portal", 2: "Identity"}, "pwreset", middle)
    assert (found["before_notes"], found["after_notes"]) == (6, 6)
    assert found["tags_similarity"] == 0.0 and found["services_similarity"] == 0.0
    assert {(c["kind"], c["name"]) for c in found["gained"]} == {
        ("tag", "mfa"),
        ("service", "Identity"),
    }
    assert {(c["kind"], c["name"]) for c in found["lost"]} == {
        ("tag", "portal"),
        ("service", "Portal"),
    }
    same = note_tags([(["pwreset", "portal"], "a", 1)] * 12)
    steady = drift.company_shift(same, {1: "Portal"}, "pwreset", middle)
    assert steady["tags_similarity"] == 1.0 and steady["gained"] == steady["lost"] == []
    assert drift.company_shift(note_tags(before), {}, "pwreset", middle) is None  # none after


def test_representative_notes_differ_in_people_incidents_and_days():
    at = [datetime(2026, 11, d, h, tzinfo=UTC) for d, h in ((1, 9), (1, 10), (2, 9), (3, 9))]
    frame = pd.DataFrame(
        {
            "note": [10, 11, 12, 13],
            "person": ["a", "a", "b", "a"],
            "incident": [1, 1, 2, 1],
            "at": at,
        }
    )
    assert evidence.representative(frame, 2) == [10, 12]  # a new person before a new day
    assert evidence.representative(frame, 3) == [10, 12, 13]  # then a new day
    assert evidence.representative(frame, 9) == [10, 11, 12, 13]
    assert evidence.representative(frame.iloc[:0], 3) == []


def test_a_drawing_keeps_linked_nodes_scaled_with_their_groups():
    network = nx.Graph()
    network.add_weighted_edges_from([("a", "b", 2.0), ("b", "c", 1.0), ("x", "y", 1.0)])
    network.add_node("alone")
    drawn = graph.drawing(network, [["a", "b", "c"]], max_edges=2)
    assert [n["id"] for n in drawn["nodes"]] == ["a", "b", "c", "x", "y"]  # no isolate
    assert all(0 <= n["x"] <= 1 and 0 <= n["y"] <= 1 for n in drawn["nodes"])
    assert [n["group"] for n in drawn["nodes"]] == [1, 1, 1, 0, 0]
    assert drawn["edges"][0] == {"a": "a", "b": "b", "weight": 2.0} and len(drawn["edges"]) == 2
    assert graph.drawing(network, []) == graph.drawing(network, [])  # same seed, same picture
    assert graph.drawing(nx.Graph(), []) == {"nodes": [], "edges": []}


def test_themes_are_the_tag_networks_communities():
    pairs = [
        {"a": "lab", "b": "hl7", "npmi": 0.6},
        {"a": "hl7", "b": "interface", "npmi": 0.5},
        {"a": "lab", "b": "interface", "npmi": 0.5},
        {"a": "sso", "b": "mfa", "npmi": 0.7},
        {"a": "mfa", "b": "login", "npmi": 0.4},
        {"a": "sso", "b": "login", "npmi": 0.4},
        {"a": "login", "b": "lab", "npmi": 0.05},
    ]
    assert graph.themes(graph.tag_graph(pairs)) == [
        ["hl7", "interface", "lab"],
        ["login", "mfa", "sso"],
    ]
