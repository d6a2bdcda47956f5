"""Associations on small hand-computed tables."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from insights import aliases, correlations, graph, lead_lag

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def note_tags(notes: list[tuple[list[str], str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "note": n,
                "tag": tag,
                "person": who,
                "incident": incident,
                "at": T0 + timedelta(hours=n),
            }
            for n, (tags, who, incident) in enumerate(notes)
            for tag in tags
        ]
    )


def test_association_figures_match_their_definitions():
    found = correlations.association(n_ab=4, n_a=5, n_b=6, n=20)
    assert found["lift"] == round((4 / 20) / ((5 / 20) * (6 / 20)), 3)
    assert math.isclose(
        found["npmi"], math.log((4 / 20) / (5 / 20 * 6 / 20)) / -math.log(4 / 20), abs_tol=1e-4
    )
    assert found["jaccard"] == round(4 / 7, 4)
    assert found["p"] == fisher_exact([[4, 1], [2, 13]], alternative="greater").pvalue


def test_a_planted_pair_is_found_and_independent_tags_are_not():
    notes = [(["portal", "selfservice"], f"p{i % 3}", 0) for i in range(8)]
    notes += [(["portal"], "p1", 0)] * 4 + [(["selfservice"], "p2", 0)] * 4
    notes += [([f"t{i % 5}"], "p0", 0) for i in range(40)]
    notes += [(["t0", "t1"], "p0", 0)] * 2  # below the minimum support
    pairs = correlations.tag_pairs(note_tags(notes))
    assert [(p["a"], p["b"]) for p in pairs] == [("portal", "selfservice")]
    assert pairs[0]["count"] == 8 and pairs[0]["q"] < 0.05


def test_a_tag_tied_to_a_service_and_slower_resolution():
    incidents = pd.DataFrame(
        {
            "id": range(1, 41),
            "service": ["Lab"] * 10 + ["Mail"] * 30,
            "category": "x",
            "priority": 3,
            "assignment_group": "g",
            "registered_at": pd.Timestamp(T0),
            "resolved_at": [pd.Timestamp(T0 + timedelta(hours=30 + i)) for i in range(10)]
            + [pd.Timestamp(T0 + timedelta(hours=5 + i % 7)) for i in range(30)],
            "made_sla": [False] * 8 + [True] * 32,
            "reopen_count": 0,
        }
    )
    notes = [(["token_expiry"], "p", i) for i in range(1, 11)]
    notes += [(["mail"], "q", i) for i in range(11, 41)]
    tagged = note_tags(notes)
    attributes = correlations.tag_attributes(tagged, incidents)
    lab = [a for a in attributes if a["tag"] == "token_expiry" and a["value"] == "Lab"]
    assert lab and lab[0]["attribute"] == "service" and lab[0]["lift"] == 4.0
    outcomes = {(o["tag"], o["outcome"]): o for o in correlations.tag_outcomes(tagged, incidents)}
    slow = outcomes[("token_expiry", "time_to_resolve")]
    assert slow["effect"] > 3 and slow["q"] < 0.05
    assert outcomes[("token_expiry", "sla_breach")]["effect"] > 1


def test_lead_lag_finds_the_leader_and_its_lag_and_not_the_reverse():
    records = []
    for day in range(10):
        start = day * 24 * 2 + (day * 5) % 24  # at different hours of the day
        records.append(("cert_warning", start, "a"))
        records.append(("sso_outage", start + 6, "b"))
        records.append(("noise", start + 3 + day % 5, "c"))
    rows = pd.DataFrame(records, columns=["tag", "hour", "person"])
    found = lead_lag.lead_lag(rows)
    pair = [r for r in found if (r["leader"], r["follower"]) == ("cert_warning", "sso_outage")]
    assert pair and pair[0]["lag_hours"] == 6 and pair[0]["led"] == 10
    assert not [r for r in found if r["leader"] == "sso_outage" and r["follower"] == "cert_warning"]


def test_a_tag_of_the_working_day_does_not_lead_what_starts_in_the_working_day():
    records = []
    for day in range(30):
        for hour in range(8, 17):  # #standup, every working hour
            records.append(("standup", day * 24 + hour, "a"))
        if day % 3 == 0:  # #printer rises at 10:00 every third day
            records.append(("printer", day * 24 + 10, "b"))
    rows = pd.DataFrame(records, columns=["tag", "hour", "person"])
    assert lead_lag.lead_lag(rows) == []


def test_communities_are_the_teams_that_work_together_and_stable_for_a_seed():
    notes = []
    for incident in range(1, 13):
        team = ["a1", "a2", "a3", "a4"] if incident % 2 else ["b1", "b2", "b3"]
        tag = "vpn" if incident % 2 else "mail"
        notes += [([tag], who, incident) for who in team]
    frame = note_tags(notes)
    empty = pd.DataFrame(columns=["source", "target", "kind", "at"])
    people = graph.people_graph(empty, frame, T0 + timedelta(days=3))
    services = {i: "VPN" if i % 2 else "Email" for i in range(1, 13)}
    found = graph.communities(people, frame, services)
    assert found == [
        {"members": ["a1", "a2", "a3", "a4"], "tags": ["vpn"], "services": ["VPN"]},
        {"members": ["b1", "b2", "b3"], "tags": ["mail"], "services": ["Email"]},
    ]
    assert graph.communities(people, frame, services) == found
    experts = graph.experts(frame, T0 + timedelta(days=3), top=2)
    assert experts["vpn"] == ["a4", "a3"]  # as many notes and incidents, more recent


def test_an_old_spelling_giving_way_to_a_new_one_is_suggested_as_its_alias():
    notes = [(["pwreset"], f"p{i % 3}", 0) for i in range(6)]
    notes += [(["password_reset"], f"p{i % 4}", 0) for i in range(8)]
    notes += [(["fyi"], f"p{i % 4}", 0) for i in range(14)]
    frame = note_tags(notes)
    frame.loc[frame["tag"] == "fyi", "at"] = [T0 + timedelta(hours=2 * i) for i in range(14)]
    found = aliases.alias_suggestions(frame, {})
    assert found[0]["tag"] == "pwreset" and found[0]["canonical"] == "password_reset"
    assert aliases.name_likeness("pwreset", "password_reset") == 1.0


def test_gave_way_is_one_for_a_hand_over_and_near_zero_for_a_tag_that_carries_on():
    steady = np.arange(0, 100, 1.0)  # used every step until the end
    assert aliases.gave_way(steady, 90.0, 100.0) == pytest.approx(0.0, abs=0.02)
    stopped = np.arange(0, 50, 1.0)  # used until the switch at 50, then never
    assert aliases.gave_way(stopped, 50.0, 100.0) == 1.0
    half = np.concatenate([np.arange(0, 50, 1.0), np.arange(50, 100, 2.0)])  # halved
    assert aliases.gave_way(half, 50.0, 100.0) == pytest.approx(1 - (25 / 75) / 0.5)
    assert aliases.gave_way(steady, 0.0, 100.0) == 0.0  # took off before it began


def test_a_steady_tag_is_no_alias_of_one_that_just_appeared():
    fyi = [(n, "fyi", f"p{n % 6}", T0 + timedelta(hours=n)) for n in range(72)]  # hourly
    new = [(100 + n, "mfa_fatigue", f"p{n}", T0 + timedelta(hours=66 + n)) for n in range(6)]
    frame = pd.DataFrame(fyi + new, columns=["note", "tag", "person", "at"]).assign(incident=0)
    assert aliases.alias_suggestions(frame, {}) == []
