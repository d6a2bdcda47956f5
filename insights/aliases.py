"""Tags that look like two names for one thing: alias suggestions.

Two tags a and b are candidates when the same people use them (the overlap of their
people, |A ∩ B| / min(|A|, |B|), tempered by their Jaccard: a tag everyone uses holds
anyone's people), on the same kind of incident (cosine of their service profiles),
rarely in one note (two names for one thing are not written side by side), and one
gives way to the other (#pwreset fading as #password_reset rises): g is the smaller of
the share of the earlier tag's uses before the later tag took off (its first 2 % of
uses) and the share of the later tag's uses after the earlier one faded (its last 2 %):
near 0 for two tags used alike throughout, 1 for a clean hand-over. Names help too: an
abbreviation (every letter of one, in order, in the other: #pwreset in
#password_reset) counts 1, other names their difflib similarity ratio, n.

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


def alias_suggestions(
    note_tags: pd.DataFrame,
    services: dict[int, str],
    *,
    min_notes: int = 3,
    min_score: float = 0.15,
    top: int = 20,
) -> list[dict]:
    """tag, canonical, score (highest first), for pairs of tags with `min_notes` each."""
    if note_tags.empty:
        return []
    counts = note_tags.groupby("tag")["note"].nunique()
    tags = sorted(counts[counts >= min_notes].index)
    frame = note_tags[note_tags["tag"].isin(tags)]
    people = frame.groupby("tag")["person"].apply(set)
    notes = frame.groupby("tag")["note"].apply(set)
    median_at = frame.groupby("tag")["at"].median()
    took_off = frame.groupby("tag")["at"].quantile(0.02)
    faded = frame.groupby("tag")["at"].quantile(0.98)
    times = frame.groupby("tag")["at"].apply(lambda s: np.sort(s.to_numpy()))
    service = frame["incident"].map(services).fillna("(none)")
    profile = frame.assign(service=service).groupby(["tag", "service"]).size().unstack(fill_value=0)
    norms = np.sqrt((profile**2).sum(axis=1))
    found = []
    for a, b in combinations(tags, 2):
        shared = len(people[a] & people[b])
        if not shared:
            continue
        overlap = shared / min(len(people[a]), len(people[b]))
        jaccard = shared / len(people[a] | people[b])
        cosine = float((profile.loc[a] * profile.loc[b]).sum() / (norms[a] * norms[b]))
        together = len(notes[a] & notes[b]) / min(len(notes[a]), len(notes[b]))
        early, late = (a, b) if median_at[a] <= median_at[b] else (b, a)
        giving_way = min(
            float(np.mean(times[early] < took_off[late])),
            float(np.mean(times[late] > faded[early])),
        )
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
