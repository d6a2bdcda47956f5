"""Tags that look like two names for one thing: alias suggestions.

Two tags a and b are candidates when the same people use them (the overlap of their
people, |A ∩ B| / min(|A|, |B|), tempered by their Jaccard: a tag everyone uses holds
anyone's people), on the same kind of incident (cosine of their service profiles over
their notes on incidents; 1 when either has none, as there is nothing to compare),
rarely in one note (two names for one thing are not written side by side), and one
gives way to the other (#pwreset stopping once #password_reset takes off): g = 1 − (the
share of the earlier tag's uses after the later one took off, its first 2 % of uses) /
(the share of the earlier tag's time left then), clipped to [0, 1]: 1 for a clean
hand-over, near 0 for a tag that carries on as before (two tags used alike throughout,
or a steady tag beside one that only just appeared). Names help too: an abbreviation
(every letter of one, in order, in the other: #pwreset in #password_reset) counts 1,
other names their difflib similarity ratio, n.

score = overlap × √Jaccard × service cosine × (1 − together share)² × (0.05 + 0.95 g)
× (0.25 + 0.75 n). The suggested canonical tag is the later one (the name people moved
to), or the more used when neither gave way.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from itertools import combinations

import numpy as np
import pandas as pd


def name_likeness(a: str, b: str) -> float:
    """1 when one name abbreviates the other (its letters in order), else difflib's ratio."""
    short, long = sorted((a.replace("_", ""), b.replace("_", "")), key=len)
    letters = iter(long)
    if all(c in letters for c in short):
        return 1.0
    return SequenceMatcher(None, a, b).ratio()


def gave_way(early: np.ndarray, switch: float, end: float) -> float:
    """How completely a tag used at the sorted times `early` stopped at `switch` (see the
    module's docstring): 1 − its share of uses after `switch` / its share of time left
    (times in seconds, `end` the last use of any tag)."""
    start = early[0]
    if end <= start or switch <= start:
        return 0.0
    time_left = (end - switch) / (end - start)
    if time_left <= 0:
        return 0.0
    used_after = float(np.mean(early >= switch))
    return float(np.clip(1 - used_after / time_left, 0, 1))


def alias_suggestions(
    note_tags: pd.DataFrame,
    services: dict[int, str],
    *,
    min_notes: int = 3,
    min_score: float = 0.15,
    top: int = 20,
    about: str | None = None,
) -> list[dict]:
    """tag, canonical, score (highest first), for pairs of tags with `min_notes` each
    (only the pairs with `about`, when given)."""
    if note_tags.empty:
        return []
    counts = note_tags.groupby("tag")["note"].nunique()
    tags = sorted(counts[counts >= min_notes].index)
    frame = note_tags[note_tags["tag"].isin(tags)]
    people = frame.groupby("tag")["person"].apply(set)
    notes = frame.groupby("tag")["note"].apply(set)
    seconds = frame.assign(at=(frame["at"] - frame["at"].min()).dt.total_seconds())
    median_at = seconds.groupby("tag")["at"].median()
    took_off = seconds.groupby("tag")["at"].quantile(0.02)
    times = seconds.groupby("tag")["at"].apply(lambda s: np.sort(s.to_numpy()))
    last = seconds["at"].max()
    on = frame.assign(service=frame["incident"].map(services)).dropna(subset=["service"])
    profile = on.groupby(["tag", "service"]).size().unstack(fill_value=0)
    profile = profile.reindex(tags, fill_value=0)
    norms = np.sqrt((profile**2).sum(axis=1))
    found = []
    pairs = combinations(tags, 2)
    if about is not None:
        pairs = [tuple(sorted((about, t))) for t in tags if t != about and about in tags]
    for a, b in pairs:
        shared = len(people[a] & people[b])
        if not shared:
            continue
        overlap = shared / min(len(people[a]), len(people[b]))
        jaccard = shared / len(people[a] | people[b])
        if norms[a] and norms[b]:
            cosine = float((profile.loc[a] * profile.loc[b]).sum() / (norms[a] * norms[b]))
        else:
            cosine = 1.0
        together = len(notes[a] & notes[b]) / min(len(notes[a]), len(notes[b]))
        early, late = (a, b) if median_at[a] <= median_at[b] else (b, a)
        giving_way = gave_way(times[early], took_off[late], last)
        score = (
            overlap * np.sqrt(jaccard) * cosine * (1 - together) ** 2 * (0.05 + 0.95 * giving_way)
        )
        score *= 0.25 + 0.75 * name_likeness(a, b)
        if score < min_score:
            continue
        if giving_way >= 0.5:
            alias, canonical = early, late
        else:
            alias, canonical = sorted((a, b), key=lambda t: (counts[t], t))
        found.append({"tag": alias, "canonical": canonical, "score": round(float(score), 3)})
    return sorted(found, key=lambda r: (-r["score"], r["tag"]))[:top]
