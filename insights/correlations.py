"""Which tags go together, which land on which incidents, and which go with worse outcomes.

- **Tag pairs** in notes: for tags a and b over N notes, lift = P(ab) / (P(a) P(b)),
  NPMI = log(P(ab) / (P(a) P(b))) / −log P(ab) (Bouma 2009; −1 never together, 0
  independent, 1 always together), Jaccard = n(ab) / n(a ∪ b); one-sided Fisher's exact
  test on the 2 × 2 table; q values by Benjamini–Hochberg over every pair tested.
  Pairs below `min_count` notes together are not tested.
- **Tag ↔ attribute**: the same test over incidents: incidents whose notes carry the
  tag against incidents with the attribute's value (service, category, priority,
  assignment group, hour of week of registration).
- **Tag ↔ outcome**: incidents carrying the tag against the other incidents of the
  window, on time to resolve (Mann–Whitney U; effect: the ratio of medians), SLA breach
  and reopening (Fisher's exact test; effect: the ratio of rates). q values by
  Benjamini–Hochberg within each family.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact, mannwhitneyu
from statsmodels.stats.multitest import multipletests


def fdr(p_values) -> np.ndarray:
    """Benjamini–Hochberg q values (statsmodels' `fdr_bh`)."""
    p_values = np.asarray(p_values, dtype=float)
    if not len(p_values):
        return p_values
    return multipletests(p_values, method="fdr_bh")[1]


def with_q(rows: list[dict]) -> list[dict]:
    """The rows, each with its Benjamini–Hochberg q value over all of them (from "p")."""
    q_values = fdr([r["p"] for r in rows])
    return [{**row, "q": float(q)} for row, q in zip(rows, q_values, strict=True)]


def association(n_ab: int, n_a: int, n_b: int, n: int) -> dict:
    """Lift, NPMI, Jaccard and the one-sided Fisher p of a and b in n units."""
    p_ab, p_a, p_b = n_ab / n, n_a / n, n_b / n
    lift = p_ab / (p_a * p_b)
    npmi = 1.0 if p_ab == 1 else float(np.log(lift) / -np.log(p_ab))
    table = [[n_ab, n_a - n_ab], [n_b - n_ab, n - n_a - n_b + n_ab]]
    p = fisher_exact(table, alternative="greater").pvalue
    return {
        "npmi": round(npmi, 4),
        "lift": round(float(lift), 3),
        "jaccard": round(n_ab / (n_a + n_b - n_ab), 4),
        "count": int(n_ab),
        "p": float(p),
    }


def co_occurrences(note_tags: pd.DataFrame) -> pd.Series:
    """How many notes carry each pair of tags (a < b): a self-join of the notes that
    carry two tags or more, counted by pair (vectorised: a year of a million notes in
    about a second, where a loop over notes took fifteen)."""
    frame = note_tags[["note", "tag"]].drop_duplicates()
    frame = frame[frame.duplicated("note", keep=False)]
    pairs = frame.merge(frame, on="note", suffixes=("_a", "_b"))
    pairs = pairs[pairs["tag_a"] < pairs["tag_b"]]
    return pairs.groupby(["tag_a", "tag_b"], sort=True).size()


def tag_pairs(note_tags: pd.DataFrame, *, min_count: int = 3, q_max: float = 0.05) -> list[dict]:
    """Tags found together in notes more than chance says: a, b, npmi, lift, jaccard,
    count, q (q < `q_max` only), strongest NPMI first."""
    if note_tags.empty:
        return []
    n = note_tags["note"].nunique()
    per_tag = note_tags.groupby("tag")["note"].nunique()
    frequent = set(per_tag[per_tag >= min_count].index)
    together = co_occurrences(note_tags[note_tags["tag"].isin(frequent)])
    rows = [
        {"a": a, "b": b, **association(int(k), int(per_tag[a]), int(per_tag[b]), n)}
        for (a, b), k in together.items()
        if k >= min_count
    ]
    return _significant(rows, q_max, key=lambda r: (-r["npmi"], r["a"], r["b"]))


def related_tags(
    note_tags: pd.DataFrame, tag: str, *, min_count: int = 3, q_max: float = 0.05, top: int = 10
) -> list[dict]:
    """The tags found with `tag` in notes more than chance says (the statistics of
    `tag_pairs`, q values by Benjamini–Hochberg over this tag's pairs): tag, npmi, lift,
    jaccard, count, q; strongest NPMI first."""
    per_tag = note_tags.groupby("tag")["note"].nunique()
    if tag not in per_tag:
        return []
    n = note_tags["note"].nunique()
    mine = note_tags.loc[note_tags["tag"] == tag, "note"]
    others = note_tags[note_tags["note"].isin(mine) & (note_tags["tag"] != tag)]
    together = others.groupby("tag")["note"].nunique()
    rows = [
        {"tag": other, **association(int(k), int(per_tag[tag]), int(per_tag[other]), n)}
        for other, k in together.items()
        if k >= min_count
    ]
    return _significant(rows, q_max, key=lambda r: (-r["npmi"], r["tag"]))[:top]


ATTRIBUTES = ("service", "category", "priority", "assignment_group", "hour_of_week")


def _tagged_incidents(note_tags: pd.DataFrame, incidents: pd.DataFrame):
    """The incidents of `incidents` that carry any tag (their facts, with the hour of
    week of registration) and, per tag, the set of those that carry it."""
    on = note_tags[note_tags["incident"] != 0][["incident", "tag"]].drop_duplicates()
    facts = incidents.set_index("id")
    on = on[on["incident"].isin(facts.index)]
    facts = facts.loc[on["incident"].unique()].copy()
    if "registered_at" in facts:
        at = pd.to_datetime(facts["registered_at"], utc=True)
        facts["hour_of_week"] = (at.dt.dayofweek * 24 + at.dt.hour).map(_hour_of_week_label)
    return facts, on.groupby("tag")["incident"].apply(set)


def tag_attributes(
    note_tags: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    min_count: int = 3,
    q_max: float = 0.05,
) -> list[dict]:
    """Tags that land on incidents with a value of an attribute more than chance says:
    tag, attribute, value, lift, npmi, count, q, same_as (over the incidents of
    `incidents` that carry any tag), strongest NPMI first. A value that picks out the
    very same incidents as one already tested (the assignment group of a service, say)
    is not tested again but named in that row's `same_as`."""
    facts, tagged = _tagged_incidents(note_tags, incidents)
    if facts.empty:
        return []
    n = len(facts)
    rows, seen = [], {}
    for attribute in ATTRIBUTES:
        if attribute not in facts:
            continue
        values = facts[attribute].dropna().astype(str)
        for value, ids in values.groupby(values).groups.items():
            ids = set(ids)
            for tag, carrying in tagged.items():
                both = carrying & ids
                if len(both) < min_count:
                    continue
                same = seen.get((tag, frozenset(ids)))
                if same is not None:  # the same incidents by another name (group of a service)
                    same["same_as"].append(f"{attribute} {value}")
                    continue
                stats = association(len(both), len(carrying), len(ids), n)
                row = {
                    "tag": tag,
                    "attribute": attribute,
                    "value": value,
                    "lift": stats["lift"],
                    "npmi": stats["npmi"],
                    "count": len(both),
                    "p": stats["p"],
                    "same_as": [],
                }
                seen[(tag, frozenset(ids))] = row
                rows.append(row)
    return _significant(rows, q_max, key=lambda r: (-r["npmi"], r["tag"], r["attribute"]))


def landing(
    note_tags: pd.DataFrame, incidents: pd.DataFrame, tag: str, attribute: str, *, top: int = 8
) -> list[dict]:
    """Where `tag` lands: for each value of `attribute` on the incidents carrying it,
    value, count, share (of the tag's incidents), base (share of all tagged incidents),
    lift and q (one-sided Fisher, Benjamini–Hochberg over this tag's values); most
    incidents first."""
    facts, tagged = _tagged_incidents(note_tags, incidents)
    if tag not in tagged or attribute not in facts:
        return []
    carrying, n = tagged[tag], len(facts)
    values = facts[attribute].dropna().astype(str)
    rows = []
    for value, ids in values.groupby(values).groups.items():
        both = len(carrying & set(ids))
        if both:
            stats = association(both, len(carrying), len(ids), n)
            share = both / len(carrying)
            base = len(ids) / n
            rows.append(
                {
                    "value": value,
                    "count": both,
                    "share": round(share, 3),
                    "base": round(base, 3),
                    "lift": stats["lift"],
                    "p": stats["p"],
                }
            )
    return sorted(with_q(rows), key=lambda r: (-r["count"], r["value"]))[:top]


def _hour_of_week_label(hour: int) -> str:
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return f"{days[hour // 24]} {hour % 24:02d}h"


OUTCOMES = ("time_to_resolve", "sla_breach", "reopened")


def _outcome_measures(incidents: pd.DataFrame) -> dict[str, pd.Series]:
    """Per incident id: hours to resolve, time to resolve as a multiple of the median of
    its priority (a P1 is fixed faster than a P4, so a tag's incidents are compared with
    others of their priority), SLA breached (0/1) and reopened (0/1)."""
    frame = incidents.set_index("id")
    hours = (frame["resolved_at"] - frame["registered_at"]).dt.total_seconds() / 3600
    relative = hours
    if "priority" in frame:
        typical = hours.groupby(frame["priority"]).transform("median")
        relative = hours / typical.where(typical > 0)
    measures = {"hours": hours, "time_to_resolve": relative}
    if "made_sla" in frame:
        measures["sla_breach"] = 1 - frame["made_sla"].astype(float)
    if "reopen_count" in frame:
        measures["reopened"] = (pd.to_numeric(frame["reopen_count"]).fillna(0) > 0).astype(int)
    return {name: values.dropna() for name, values in measures.items()}


def _compare(measures: dict[str, pd.Series], ids: set, min_count: int) -> list[dict]:
    """The incidents `ids` against the others on each outcome: outcome, this, others
    (median hours to resolve, or rates), effect (>1 worse: for time to resolve, the
    ratio of the medians of time relative to each priority's median; else the ratio of
    rates) and p (Mann–Whitney U two-sided on the relative times; Fisher's exact test
    on rates). Outcomes with fewer than `min_count` incidents on either side are left
    out."""
    rows = []
    for outcome in OUTCOMES:
        values = measures.get(outcome)
        if values is None:
            continue
        inside = values.index.isin(list(ids))
        a, b = values[inside], values[~inside]
        if len(a) < min_count or len(b) < min_count:
            continue
        if outcome == "time_to_resolve":
            if b.median() <= 0:
                continue
            p = mannwhitneyu(a, b, alternative="two-sided").pvalue
            effect = a.median() / b.median()
            hours = measures["hours"]
            mine = hours.index.isin(list(ids))
            this, others = float(hours[mine].median()), float(hours[~mine].median())
        else:
            k_in, k_out = int(a.sum()), int(b.sum())
            if k_in + k_out == 0:
                continue
            this, others = k_in / len(a), k_out / len(b)
            p = fisher_exact([[k_in, len(a) - k_in], [k_out, len(b) - k_out]]).pvalue
            effect = this / (others if k_out else 0.5 / len(b))
        rows.append(
            {
                "outcome": outcome,
                "this": round(this, 3),
                "others": round(others, 3),
                "effect": round(float(effect), 3),
                "p": float(p),
            }
        )
    return rows


def tag_outcomes(
    note_tags: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    min_count: int = 5,
    q_max: float = 0.05,
) -> list[dict]:
    """Tags whose incidents fare differently from the others: tag, outcome
    ("time_to_resolve", "sla_breach", "reopened"), effect (ratio of medians or of
    rates, >1 worse), this and others (see `_compare`), q, incidents; q < `q_max`
    only, largest departure first."""
    if incidents.empty or note_tags.empty:
        return []
    measures = _outcome_measures(incidents)
    ids_of = incidents["id"]
    on = note_tags[note_tags["incident"].isin(ids_of)][["incident", "tag"]].drop_duplicates()
    rows = []
    for tag, ids in on.groupby("tag")["incident"]:
        ids = set(ids)
        if len(ids) < min_count or len(ids) == len(incidents):
            continue
        for row in _compare(measures, ids, min_count):
            rows.append({"tag": tag, **row, "incidents": len(ids)})
    found = []
    for outcome in OUTCOMES:
        family = [r for r in rows if r["outcome"] == outcome]
        found += _significant(family, q_max, key=lambda r: -abs(np.log(max(r["effect"], 1e-9))))
    return sorted(found, key=lambda r: (-abs(np.log(max(r["effect"], 1e-9))), r["tag"]))


def outcome_comparison(
    note_tags: pd.DataFrame, incidents: pd.DataFrame, tag: str, *, min_count: int = 5
) -> list[dict]:
    """How the incidents carrying `tag` fare against the other incidents of the window
    (see `_compare`), with q values by Benjamini–Hochberg over its outcomes."""
    if incidents.empty:
        return []
    ids = set(note_tags.loc[(note_tags["tag"] == tag) & (note_tags["incident"] != 0), "incident"])
    return with_q(_compare(_outcome_measures(incidents), ids, min_count) if ids else [])


def _significant(rows: list[dict], q_max: float, key) -> list[dict]:
    """Rows given q values (BH over all of them), those under `q_max`, sorted by `key`."""
    return sorted((row for row in with_q(rows) if row["q"] < q_max), key=key)
