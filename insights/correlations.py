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

from itertools import combinations

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


def tag_pairs(note_tags: pd.DataFrame, *, min_count: int = 3, q_max: float = 0.05) -> list[dict]:
    """Tags found together in notes more than chance says: a, b, npmi, lift, jaccard,
    count, q (q < `q_max` only), strongest NPMI first."""
    if note_tags.empty:
        return []
    n = note_tags["note"].nunique()
    per_tag = note_tags.groupby("tag")["note"].nunique()
    frequent = set(per_tag[per_tag >= min_count].index)
    together: dict[tuple[str, str], int] = {}
    for tags in note_tags[note_tags["tag"].isin(frequent)].groupby("note")["tag"]:
        for a, b in combinations(sorted(set(tags[1])), 2):
            together[(a, b)] = together.get((a, b), 0) + 1
    rows = [
        {"a": a, "b": b, **association(k, int(per_tag[a]), int(per_tag[b]), n)}
        for (a, b), k in together.items()
        if k >= min_count
    ]
    return _significant(rows, q_max, key=lambda r: (-r["npmi"], r["a"], r["b"]))


ATTRIBUTES = ("service", "category", "priority", "assignment_group", "hour_of_week")


def tag_attributes(
    note_tags: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    min_count: int = 3,
    q_max: float = 0.05,
) -> list[dict]:
    """Tags that land on incidents with a value of an attribute more than chance says:
    tag, attribute, value, lift, count, q (over the incidents of `incidents` that carry
    any tag), strongest lift first."""
    on = note_tags[note_tags["incident"] != 0][["incident", "tag"]].drop_duplicates()
    facts = incidents.set_index("id")
    on = on[on["incident"].isin(facts.index)]
    if on.empty:
        return []
    universe = on["incident"].unique()
    n = len(universe)
    facts = facts.loc[universe].copy()
    if "registered_at" in facts:
        at = pd.to_datetime(facts["registered_at"], utc=True)
        facts["hour_of_week"] = (at.dt.dayofweek * 24 + at.dt.hour).map(_hour_of_week_label)
    tagged = on.groupby("tag")["incident"].apply(set)
    rows = []
    for attribute in ATTRIBUTES:
        if attribute not in facts:
            continue
        values = facts[attribute].dropna().astype(str)
        for value, ids in values.groupby(values).groups.items():
            ids = set(ids)
            for tag, carrying in tagged.items():
                both = len(carrying & ids)
                if both < min_count:
                    continue
                stats = association(both, len(carrying), len(ids), n)
                rows.append(
                    {
                        "tag": tag,
                        "attribute": attribute,
                        "value": value,
                        "lift": stats["lift"],
                        "count": both,
                        "p": stats["p"],
                    }
                )
    return _significant(rows, q_max, key=lambda r: (-r["lift"], r["tag"], r["attribute"]))


def _hour_of_week_label(hour: int) -> str:
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return f"{days[hour // 24]} {hour % 24:02d}h"


def tag_outcomes(
    note_tags: pd.DataFrame,
    incidents: pd.DataFrame,
    *,
    min_count: int = 5,
    q_max: float = 0.05,
) -> list[dict]:
    """Tags whose incidents fare differently from the others: tag, outcome
    ("time_to_resolve", "sla_breach", "reopened"), effect (ratio of medians or of
    rates, >1 worse), q, incidents; q < `q_max` only, largest departure first."""
    if incidents.empty or note_tags.empty:
        return []
    frame = incidents.set_index("id")
    ttr = (frame["resolved_at"] - frame["registered_at"]).dt.total_seconds() / 3600
    breach = (1 - frame["made_sla"].astype(float)) if "made_sla" in frame else None
    reopened = (
        (pd.to_numeric(frame["reopen_count"]).fillna(0) > 0).astype(int)
        if "reopen_count" in frame
        else None
    )
    on = note_tags[note_tags["incident"].isin(frame.index)][["incident", "tag"]].drop_duplicates()
    rows = []
    for tag, ids in on.groupby("tag")["incident"]:
        ids = set(ids)
        if len(ids) < min_count or len(ids) == len(frame):
            continue
        inside = frame.index.isin(list(ids))
        a, b = ttr[inside].dropna(), ttr[~inside].dropna()
        if len(a) >= min_count and len(b) >= min_count and b.median() > 0:
            p = mannwhitneyu(a, b, alternative="two-sided").pvalue
            rows.append(_outcome(tag, "time_to_resolve", a.median() / b.median(), p, len(ids)))
        for name, flag in (("sla_breach", breach), ("reopened", reopened)):
            if flag is None:
                continue
            f = flag.dropna()
            k_in, n_in = int(f[f.index.isin(list(ids))].sum()), int(f.index.isin(list(ids)).sum())
            k_out, n_out = int(f.sum()) - k_in, len(f) - n_in
            if n_in < min_count or n_out < min_count or k_in + k_out == 0:
                continue
            p = fisher_exact([[k_in, n_in - k_in], [k_out, n_out - k_out]]).pvalue
            rate_out = k_out / n_out if k_out else 0.5 / n_out
            rows.append(_outcome(tag, name, (k_in / n_in) / rate_out, p, len(ids)))
    found = []
    for outcome in ("time_to_resolve", "sla_breach", "reopened"):
        family = [r for r in rows if r["outcome"] == outcome]
        found += _significant(family, q_max, key=lambda r: -abs(np.log(max(r["effect"], 1e-9))))
    return sorted(found, key=lambda r: (-abs(np.log(max(r["effect"], 1e-9))), r["tag"]))


def _outcome(tag: str, outcome: str, effect: float, p: float, incidents: int) -> dict:
    return {
        "tag": tag,
        "outcome": outcome,
        "effect": round(float(effect), 3),
        "p": float(p),
        "incidents": incidents,
    }


def _significant(rows: list[dict], q_max: float, key) -> list[dict]:
    """Rows given q values (BH over all of them), those under `q_max`, sorted by `key`."""
    q_values = fdr([r["p"] for r in rows])
    kept = []
    for row, q in zip(rows, q_values, strict=True):
        if q < q_max:
            kept.append({**row, "q": float(q)})
    return sorted(kept, key=key)
