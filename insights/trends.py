"""Trending, emerging and declining tags, from distinct people per tag and time block.

The statistic (I2I's, written for small intranet volumes):

- **Observed**: distinct people who used the tag in the last `block` hours of the window
  (6 by default), from the tag × hour aggregates. One person posting a tag 25 times is
  one person.
- **Expected**: the larger of two trailing baselines that reach back before the window
  (`weeks`, four by default, where data exists): the tag's mean distinct people per
  block over that stretch (its level), and its mean over the same hours of the week in
  each earlier week (its hour-of-week season), plus a small prior (`floor`) so a tag
  never seen is not infinitely surprising. A tag that peaks every Monday morning is
  expected then.
- **Tail test**: Poisson, P(X ≥ observed | expected), the natural model of small counts
  of independent people (Twitter's Gnip team use the same background model; "Trend
  detection in social data", 2015). A tag trends when p < `alpha`, at least
  `min_people` distinct people used it in the block, and observed is at least
  `min_ratio` × expected. The score is −log10 p, decayed with a 4-hour half-life from
  the tag's busiest hour (as Mastodon decays its trend scores), so a burst that is over
  fades from the top.

Emerging: first seen (publicly) within the window, used by at least `min_people`
people, and rising (its second half has at least as many people as its first).
Declining: a tag whose people over the window fall significantly short of its baseline
level (Poisson lower tail, p < `alpha`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from scipy.stats import poisson

from insights.scope import hour_of

HOURS_A_WEEK = 168
HALF_LIFE_HOURS = 4.0


@dataclass(frozen=True)
class TrendRules:
    block: int = 6  # hours judged at the window's end; divides a week
    weeks: int = 4  # of trailing baseline
    min_people: int = 4
    min_ratio: float = 3.0
    alpha: float = 1e-4
    floor: float = 0.05  # prior people a block for a tag never seen

    def __post_init__(self) -> None:
        if HOURS_A_WEEK % self.block:
            raise ValueError("a block must divide a week into whole blocks")


def to_time(hour: int) -> datetime:
    return datetime.fromtimestamp(int(hour) * 3600, UTC)


def people_per_block(rows: pd.DataFrame, end_hour: int, block: int) -> pd.DataFrame:
    """Distinct people per tag and block, blocks counted back from `end_hour` (exclusive):
    block 0 is [end − block, end), block 1 the one before, and so on. Columns: tag, age,
    people, notes."""
    if rows.empty:
        return pd.DataFrame(columns=["tag", "age", "people", "notes"])
    age = (end_hour - 1 - rows["hour"]) // block
    frame = rows.assign(age=age)[age >= 0]
    grouped = frame.groupby(["tag", "age"])
    return pd.DataFrame(
        {"people": grouped["person"].nunique(), "notes": grouped["notes"].sum()}
    ).reset_index()


def expected_people(blocks: pd.DataFrame, baseline_blocks: int, block: int) -> pd.Series:
    """Per tag, the larger of its mean people per block over the baseline (blocks 1 to
    `baseline_blocks`) and its mean in the same hours of earlier weeks."""
    past = blocks[(blocks["age"] >= 1) & (blocks["age"] <= baseline_blocks)]
    level = past.groupby("tag")["people"].sum() / max(baseline_blocks, 1)
    per_week = HOURS_A_WEEK // block
    weeks = max(baseline_blocks // per_week, 0)
    if weeks:
        same_hours = past[past["age"] % per_week == 0]
        season = same_hours.groupby("tag")["people"].sum() / weeks
        level = pd.concat([level, season], axis=1).fillna(0).max(axis=1)
    return level


def trending(
    rows: pd.DataFrame,
    end: datetime,
    *,
    baseline_start: datetime,
    rules: TrendRules = TrendRules(),  # noqa: B008 - frozen
    services: dict[int, str] | None = None,
) -> list[dict]:
    """The tags trending at `end`, most surprising first: tag, score, onset, peak, people,
    notes, p, expected, why. `rows` are tag × hour aggregates reaching back to
    `baseline_start` (columns tag, hour, person, incident, notes). Never padded."""
    end_hour = hour_of(end)
    # The baseline: the blocks before the last, back to `baseline_start`, at most
    # `rules.weeks`, and only as far as there is data.
    reach = min(end_hour - hour_of(baseline_start), rules.weeks * HOURS_A_WEEK)
    if not rows.empty:
        reach = min(reach, end_hour - int(rows["hour"].min()))
    baseline_blocks = max(reach // rules.block - 1, 0)
    blocks = people_per_block(rows, end_hour, rules.block)
    now = blocks[blocks["age"] == 0].set_index("tag")
    if now.empty:
        return []
    expected = expected_people(blocks, baseline_blocks, rules.block).reindex(now.index).fillna(0)
    expected = expected + rules.floor
    p = poisson.sf(now["people"] - 1, expected)
    chosen = now[(p < rules.alpha) & (now["people"] >= rules.min_people)]
    chosen = chosen[chosen["people"] >= rules.min_ratio * expected[chosen.index]]
    recent = rows[(rows["hour"] >= end_hour - rules.block) & (rows["hour"] < end_hour)]
    found = []
    for tag, row in chosen.iterrows():
        mine = recent[recent["tag"] == tag]
        hourly = mine.groupby("hour")["person"].nunique()
        peak, onset = int(hourly.idxmax()), int(hourly.index.min())
        p_tag = float(p[now.index.get_loc(tag)])
        decay = 0.5 ** ((end_hour - 1 - peak) / HALF_LIFE_HOURS)
        score = -np.log10(max(p_tag, 1e-300)) * decay
        found.append(
            {
                "tag": tag,
                "score": round(float(score), 3),
                "onset": to_time(onset).isoformat(),
                "peak": to_time(peak).isoformat(),
                "people": int(row["people"]),
                "notes": int(row["notes"]),
                "p": p_tag,
                "expected": round(float(expected[tag]), 2),
                "why": _why(mine, row, float(expected[tag]), rules.block, services or {}),
            }
        )
    return sorted(found, key=lambda t: (-t["score"], t["tag"]))


def _why(mine: pd.DataFrame, row, expected: float, block: int, services: dict) -> str:
    incidents = sorted(i for i in mine["incident"].unique() if i)
    parts = [f"{int(row['people'])} people in the last {block} h against {expected:.2g} expected"]
    named = pd.Series([services.get(i) for i in mine["incident"]]).dropna()
    if not named.empty:
        top, share = named.value_counts().index[0], named.value_counts(normalize=True).iloc[0]
        parts.append(f"{'mostly ' if share < 1 else 'all '}on {top}")
    if incidents:
        parts.append(f"{len(incidents)} incident{'s' if len(incidents) != 1 else ''}")
    return "; ".join(parts)


def emerging(
    window: pd.DataFrame,
    first_seen: pd.DataFrame,
    start: datetime,
    end: datetime,
    *,
    min_people: int = 3,
    recent: timedelta = timedelta(days=7),
) -> list[dict]:
    """Tags first seen in the window's last `recent` days (a week; all of a shorter
    window) and rising: tag, first_seen, people (most first). A tag first seen in the
    data's first week is not new, only new to the data."""
    if window.empty or first_seen.empty:
        return []
    since = max(start, end - recent, first_seen["first_seen"].min() + timedelta(days=7))
    new = first_seen[(first_seen["first_seen"] >= since) & (first_seen["first_seen"] < end)]
    found = []
    for tag, first in zip(new["tag"], new["first_seen"], strict=True):
        mine = window[window["tag"] == tag]
        people = mine["person"].nunique()
        middle = (hour_of(first) + hour_of(end)) / 2
        early = mine[mine["hour"] < middle]["person"].nunique()
        late = mine[mine["hour"] >= middle]["person"].nunique()
        if people >= min_people and late >= early:
            found.append({"tag": tag, "first_seen": first.isoformat(), "people": int(people)})
    return sorted(found, key=lambda t: (-t["people"], t["tag"]))


def declining(
    rows: pd.DataFrame,
    start: datetime,
    end: datetime,
    *,
    baseline_start: datetime,
    alpha: float = 1e-4,
    min_expected: float = 5.0,
    block: int = 24,
) -> list[dict]:
    """Tags whose people per day over [start, end) fall well short of their level before
    (Poisson lower tail): tag, score (1 − observed/expected), observed, expected."""
    start_hour, end_hour, base_hour = hour_of(start), hour_of(end), hour_of(baseline_start)
    window_blocks = max((end_hour - start_hour) / block, 1)
    base_blocks = (start_hour - base_hour) / block
    if base_blocks < 1 or rows.empty:
        return []
    before = rows[rows["hour"] < start_hour]
    during = rows[rows["hour"] >= start_hour]
    level = people_per_block(before, start_hour, block).groupby("tag")["people"].sum() / base_blocks
    seen = people_per_block(during, end_hour, block).groupby("tag")["people"].sum()
    found = []
    for tag, rate in level.items():
        expected = rate * window_blocks
        observed = int(seen.get(tag, 0))
        if expected < min_expected:
            continue
        if poisson.cdf(observed, expected) < alpha:
            score = 1 - observed / expected
            found.append(
                {
                    "tag": tag,
                    "score": round(float(score), 3),
                    "observed": observed,
                    "expected": round(float(expected), 1),
                }
            )
    return sorted(found, key=lambda t: (-t["score"], t["tag"]))


def _bucketed(rows: pd.DataFrame, tags, start: datetime, end: datetime, bucket: int):
    """The bucket starts from `start` to `end`, and `rows` of `tags` with their bucket."""
    first, last = hour_of(start), hour_of(end - timedelta(microseconds=1)) + 1
    frame = rows[(rows["hour"] >= first) & (rows["hour"] < last) & rows["tag"].isin(list(tags))]
    return range(first, last, bucket), frame.assign(
        bucket=first + (frame["hour"] - first) // bucket * bucket
    )


def series(rows: pd.DataFrame, tags, start: datetime, end: datetime, bucket: int) -> dict:
    """Distinct people per `bucket` hours from `start` to `end` for each of `tags`:
    {tag: [(bucket start, people), ...]}, every bucket listed (zeros included)."""
    edges, counted = _bucketed(rows, tags, start, end, bucket)
    people = counted.groupby(["tag", "bucket"])["person"].nunique()
    return {
        tag: [(to_time(b).isoformat(), int(people.get((tag, b), 0))) for b in edges] for tag in tags
    }


def volume(rows: pd.DataFrame, tag: str, start: datetime, end: datetime, bucket: int) -> list:
    """A tag's notes and distinct people per `bucket` hours from `start` to `end`:
    [{at, notes, people}, ...], every bucket listed (zeros included)."""
    edges, counted = _bucketed(rows, [tag], start, end, bucket)
    per = counted.groupby("bucket").agg(notes=("notes", "sum"), people=("person", "nunique"))
    notes, people = per["notes"].to_dict(), per["people"].to_dict()
    return [
        {
            "at": to_time(b).isoformat(),
            "notes": int(notes.get(b, 0)),
            "people": int(people.get(b, 0)),
        }
        for b in edges
    ]


def baseline_start(start: datetime, rules: TrendRules = TrendRules()) -> datetime:  # noqa: B008
    """How far back trends read: `rules.weeks` weeks before the window starts."""
    return start - timedelta(weeks=rules.weeks)
