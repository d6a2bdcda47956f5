"""Which tag tends to precede which, by how long, and how reliably.

For tags a and b, b's onsets are the hours it is used after `quiet` hours without it.
For each lag L of 1 to `max_lag` hours: the share of b's onsets that a's use preceded
within L hours, against the share of hours a's use precedes within L hours at the same
hours of the day as b's onsets (its base rate: a tag used all day precedes everything,
and one used every morning precedes whatever starts in the morning). Strength = the
difference at the best lag; the test is binomial (onsets led, out of b's onsets, at
a's base rate), q by Benjamini–Hochberg over all pairs. Kept: q < `q_max`, strength
≥ `min_strength`, and at least `min_bursts` onsets led.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom

from insights.correlations import with_q


def onsets(active: np.ndarray, quiet: int) -> np.ndarray:
    """Indices where a series turns active after `quiet` inactive steps."""
    idx = np.flatnonzero(active)
    if not len(idx):
        return idx
    gaps = np.diff(np.concatenate([[-quiet - 1], idx]))
    return idx[gaps > quiet]


def _led(leader: np.ndarray, starts: np.ndarray, lag: int) -> np.ndarray:
    """For each onset t, was the leader active in [t − lag, t − 1]?"""
    cumulative = np.concatenate([[0], np.cumsum(leader)])
    low = np.clip(starts - lag, 0, None)
    return (cumulative[starts] - cumulative[low]) > 0


def _preceded(leader: np.ndarray, lag: int) -> np.ndarray:
    """For every hour t, was the leader active in [t − lag, t − 1]?"""
    return _led(leader, np.arange(len(leader)), lag)


def lead_lag(
    rows: pd.DataFrame,
    *,
    max_lag: int = 12,
    quiet: int = 12,
    min_bursts: int = 3,
    min_strength: float = 0.5,
    q_max: float = 0.01,
    candidates: int = 60,
) -> list[dict]:
    """leader, follower, lag_hours, strength, led (onsets led), q: strongest first.
    `rows`: tag × hour aggregates (tag, hour, person); the `candidates` most active tags
    are compared pairwise."""
    if rows.empty:
        return []
    first, last = int(rows["hour"].min()), int(rows["hour"].max())
    active_hours = rows.groupby("tag")["hour"].nunique().sort_values(ascending=False)
    tags = [t for t in active_hours.index[:candidates] if active_hours[t] >= min_bursts]
    series = {}
    for tag in tags:
        s = np.zeros(last - first + 1, dtype=bool)
        s[rows.loc[rows["tag"] == tag, "hour"].to_numpy() - first] = True
        series[tag] = s
    starts = {t: onsets(s, quiet) for t, s in series.items()}
    of_day = (first + np.arange(last - first + 1)) % 24
    base = {  # per hour of day: a tag used only by day precedes whatever starts by day
        (t, lag): np.bincount(of_day, weights=_preceded(s, lag), minlength=24)
        / np.maximum(np.bincount(of_day, minlength=24), 1)
        for t, s in series.items()
        for lag in range(1, max_lag + 1)
    }
    found = []
    for a in tags:
        for b in tags:
            if a == b or len(starts[b]) < min_bursts:
                continue
            best = None
            for lag in range(1, max_lag + 1):
                led = int(_led(series[a], starts[b], lag).sum())
                rate = float(base[(a, lag)][of_day[starts[b]]].mean())
                strength = led / len(starts[b]) - rate
                if best is None or strength > best[0] + 1e-9:
                    best = (strength, lag, led, rate)
            strength, lag, led, rate = best
            if strength >= min_strength and led >= min_bursts:
                p = float(binom.sf(led - 1, len(starts[b]), rate))
                found.append(
                    {
                        "leader": a,
                        "follower": b,
                        "lag_hours": lag,
                        "strength": round(float(strength), 3),
                        "led": led,
                        "p": p,
                    }
                )
    found = [row for row in with_q(found) if row["q"] < q_max]
    return sorted(found, key=lambda r: (-r["strength"], r["leader"], r["follower"]))
