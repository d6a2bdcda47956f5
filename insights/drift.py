"""How a tag's company shifted between two periods: the tags written beside it and the
services of the incidents it was used on, before and after a moment.

A tag's company in a period is two profiles: for each other tag, the share of the tag's
notes that also carry it; for each service, the share of the tag's incident notes on
that service. The shift is read as the cosine similarity of each profile before and
after (1: the same company; 0: none in common) and as the members whose share rose or
fell by at least `min_change` (ten points by default).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd


def _profiles(notes: pd.DataFrame, mine: pd.Series, services: dict[int, str]):
    tags = notes[notes["note"].isin(mine)].groupby("tag")["note"].nunique() / len(mine)
    incident = notes.drop_duplicates("note").set_index("note")["incident"].reindex(mine)
    on = incident[incident != 0].map(services).dropna()
    return tags, (on.value_counts() / len(on) if len(on) else pd.Series(dtype=float))


def _cosine(a: pd.Series, b: pd.Series) -> float | None:
    joined = pd.concat([a, b], axis=1).fillna(0)
    norms = np.linalg.norm(joined, axis=0)
    if not norms.all():
        return None
    return round(float(joined.iloc[:, 0] @ joined.iloc[:, 1] / norms.prod()), 3)


def company_shift(
    note_tags: pd.DataFrame,
    services: dict[int, str],
    tag: str,
    middle: datetime,
    *,
    min_notes: int = 5,
    min_change: float = 0.1,
) -> dict | None:
    """`tag`'s company before and after `middle`: before_notes, after_notes,
    tags_similarity, services_similarity, gained and lost [{kind, name, before, after}]
    (largest change first); None when either period has fewer than `min_notes` notes."""
    carrying = note_tags[note_tags["tag"] == tag].drop_duplicates("note")
    before = carrying.loc[carrying["at"] < middle, "note"]
    after = carrying.loc[carrying["at"] >= middle, "note"]
    if len(before) < min_notes or len(after) < min_notes:
        return None
    others = note_tags[note_tags["tag"] != tag]
    tags_before, services_before = _profiles(others, before, services)
    tags_after, services_after = _profiles(others, after, services)
    changes = []
    for kind, old, new in (
        ("tag", tags_before, tags_after),
        ("service", services_before, services_after),
    ):
        joined = pd.concat([old.rename("before"), new.rename("after")], axis=1).fillna(0)
        for name, row in joined.iterrows():
            change = row["after"] - row["before"]
            if abs(change) >= min_change:
                changes.append(
                    {
                        "kind": kind,
                        "name": str(name),
                        "before": round(float(row["before"]), 3),
                        "after": round(float(row["after"]), 3),
                        "change": round(float(change), 3),
                    }
                )
    changes.sort(key=lambda c: (-abs(c["change"]), c["kind"], c["name"]))
    return {
        "before_notes": len(before),
        "after_notes": len(after),
        "tags_similarity": _cosine(tags_before, tags_after),
        "services_similarity": _cosine(services_before, services_after),
        "gained": [c for c in changes if c["change"] > 0],
        "lost": [c for c in changes if c["change"] < 0],
    }
