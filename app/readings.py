"""Plain-language readings of analysis rows, with their numbers and test, for pages and
reports alike ("#vpn is written with #mfa in 12 notes, 4.2 times chance ...")."""

from __future__ import annotations

OUTCOME_NAMES = {
    "time_to_resolve": "time to resolve",
    "sla_breach": "SLA breaches",
    "reopened": "reopening",
}


def q_text(q: float) -> str:
    return "q < 0.001" if q < 0.001 else f"q = {q:.3f}"


def times(ratio: float) -> str:
    """1.8 → "1.8 times"; 0.5 → "half"."""
    if 0.45 <= ratio <= 0.55:
        return "half"
    return f"{ratio:.1f} times"


def pair(a: str, b: str, row: dict) -> str:
    """A tag pair (`correlations.tag_pairs` or `related_tags` row)."""
    return (
        f"#{a} is written with #{b} in {row['count']} notes, {times(row['lift'])} what chance"
        f" would give (NPMI {row['npmi']:.2f}; Fisher's exact test, {q_text(row['q'])})."
    )


def attribute(row: dict) -> str:
    """A tag ↔ attribute row of `correlations.tag_attributes`."""
    name = row["attribute"].replace("_", " ")
    alike = row.get("same_as") or []
    also = (
        f" (the same incidents as {', '.join(a.replace('_', ' ') for a in alike)})" if alike else ""
    )
    return (
        f"#{row['tag']} lands on incidents whose {name} is {row['value']}{also} in"
        f" {row['count']} cases, {times(row['lift'])} what chance would give"
        f" ({q_text(row['q'])})."
    )


def outcome(tag: str, row: dict) -> str:
    """A tag ↔ outcome row (`correlations.outcome_comparison` or `tag_outcomes`)."""
    name = OUTCOME_NAMES[row["outcome"]]
    test = "Mann–Whitney U" if row["outcome"] == "time_to_resolve" else "Fisher's exact test"
    if row["outcome"] == "time_to_resolve" and row["effect"] < 1:
        claim = (
            f"were resolved {1 / max(row['effect'], 1e-3):.1f} times faster than other"
            " incidents of the same priority"
        )
        numbers = f"their median {row['this']:.1f} h"
    elif row["outcome"] == "time_to_resolve":
        claim = (
            f"took {times(row['effect'])} as long to resolve as other incidents of the"
            " same priority"
        )
        numbers = f"their median {row['this']:.1f} h"
    elif row["others"] == 0:
        claim = f"had {name} in {row['this']:.0%} of cases, the others in none"
        numbers = "rate ratio not finite"
    else:
        claim = f"had {times(row['effect'])} the rate of {name} of the others"
        numbers = f"{row['this']:.0%} against {row['others']:.0%}"
    return f"Incidents with #{tag} {claim} ({numbers}; {test}, {q_text(row['q'])})."


def lead(row: dict) -> str:
    """A lead–lag row of `lead_lag.lead_lag`."""
    return (
        f"#{row['leader']} tends to come {row['lag_hours']} h before #{row['follower']}:"
        f" it preceded {row['led']} of #{row['follower']}'s rises, {row['strength'] * 100:.0f}"
        f" points above its rate at any hour (binomial test, {q_text(row['q'])})."
    )


def similarity(value: float | None) -> str:
    """A cosine similarity of two profiles (`drift.company_shift`) in words."""
    if value is None:
        return "not comparable (none in one half)"
    word = "much the same" if value >= 0.8 else "partly new" if value >= 0.5 else "largely new"
    return f"{word} (similarity {value:.2f})"
