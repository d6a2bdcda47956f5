"""Representative notes: a handful of a pattern's notes chosen for diversity.

Greedy selection (maximal marginal diversity): each next note is the one that adds the
most that is new, a person not yet quoted counting 4, an incident 2 and a day 1, ties
going to the note furthest in time from those already chosen, then to the earliest.
Deterministic, so the same data gives the same quotes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_CANDIDATES = 2_000  # spread evenly over time, so a large pattern costs no more


def representative(notes: pd.DataFrame, k: int = 5) -> list[int]:
    """Up to `k` note ids of `notes` (columns note, person, incident, at; one row per
    note or more), diverse in people, incidents and days, in time order."""
    frame = notes.drop_duplicates("note").sort_values(["at", "note"]).reset_index(drop=True)
    if len(frame) > MAX_CANDIDATES:
        frame = frame.iloc[np.linspace(0, len(frame) - 1, MAX_CANDIDATES).astype(int)]
        frame = frame.reset_index(drop=True)
    seconds = (frame["at"] - frame["at"].min()).dt.total_seconds().to_numpy()
    days = frame["at"].dt.floor("D").to_numpy()
    people, incidents, chosen_days, chosen = set(), set(), set(), []
    for _ in range(min(k, len(frame))):
        novelty = (
            4.0 * ~frame["person"].isin(people).to_numpy()
            + 2.0 * ~(frame["incident"].isin(incidents) | (frame["incident"] == 0)).to_numpy()
            + 1.0 * ~np.isin(days, list(chosen_days))
        )
        if chosen:
            spread = np.min(np.abs(seconds[:, None] - seconds[chosen][None, :]), axis=1)
        else:
            spread = np.zeros(len(frame))
        novelty[chosen] = -1
        order = np.lexsort((np.arange(len(frame)), -spread, -novelty))
        pick = int(order[0])
        chosen.append(pick)
        people.add(frame.at[pick, "person"])
        incidents.add(frame.at[pick, "incident"])
        chosen_days.add(days[pick])
    return [int(frame.at[i, "note"]) for i in sorted(chosen)]
