"""Score the trend statistic against the simulator's planted bursts, beside three baselines.

One command: `.venv/bin/python bench/trend_score.py [--seeds 1 2 3 4 5] [--notes 6000]`.

For each seed the simulated organisation is built as plain data (no database: the
notes' tags become the tag × hour rows the app keeps) and trends are judged at moments:
- a burst's end: one hour after its fourth distinct person (the planted tag should
  trend, nothing else should);
- quiet moments: every 7 hours that are more than 12 hours from any burst, and the
  hard ones: two hours into each weekly meeting after its second (its tag is seasonal),
  and an hour after one person's flood of a tag (nothing should trend).
A planted tag reported at its burst's end is a true positive, missed a false negative;
any other tag reported at any moment a false positive, except the planted emerging tag
after it first appears (new and rising: trending is a fair reading of it). Printed:
precision, recall, F1 per method, and for I2I the median delay from the fourth person
to the first hour it is flagged. The baselines, on the same rows:
- Mastodon (DESIGN §5): distinct accounts per UTC day so far; expected = yesterday's
  (at least 1); trending when observed ≥ 5 and above expected.
- Raw counts: notes in the last 6 hours ≥ k, k the best of 2…30 on the answers.
- Gnip's Poisson background model ("Trend detection in social data", 2015): distinct
  people per bucket, the mean of the same bucket over the past 7 days, eta =
  |count − mean| / width of the 99 % Poisson interval; bucket (1, 3, 6, 24 h) and
  threshold chosen on the answers (its best F1 is reported).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from scipy.stats import poisson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.intake.demo import PEOPLE  # noqa: E402
from app.intake.simulate import simulate  # noqa: E402
from app.text import unique_hashtags  # noqa: E402
from insights import trends  # noqa: E402
from insights.scope import hour_of  # noqa: E402

END = datetime(2026, 11, 30, tzinfo=UTC)


def tag_rows(world) -> pd.DataFrame:
    records = [
        (token.key, hour_of(note.posted_at), note.author)
        for note in world.notes
        for token in unique_hashtags(note.text)
    ]
    frame = pd.DataFrame(records, columns=["tag", "hour", "person"])
    grouped = frame.groupby(["tag", "hour", "person"]).size().rename("notes").reset_index()
    return grouped.assign(incident=0)


def moments(world, rows: pd.DataFrame) -> list[tuple[int, str | None, int]]:
    """(hour judged at, the tag that should trend or None, hour of its 4th person)."""
    found, burst_hours = [], []
    for burst in world.truth.bursts:
        mine = rows[rows["tag"] == burst["tag"]].sort_values("hour")
        fourth = int(mine.drop_duplicates("person")["hour"].iloc[3])
        found.append((fourth + 2, burst["tag"], fourth))  # an hour after that hour ends
        burst_hours.append(fourth)
    first = int(rows["hour"].min()) + 8 * 24  # a week of baseline first
    last = int(rows["hour"].max())
    for hour in range(first, last, 7):
        if all(abs(hour - b) > 12 for b in burst_hours):
            found.append((hour, None, hour))
    for seasonal in world.truth.seasonal:
        for at in seasonal["meetings"][2:]:
            found.append((hour_of(datetime.fromisoformat(at)) + 2, None, 0))
    for flood in world.truth.floods:
        found.append((hour_of(datetime.fromisoformat(flood["at"])) + 3, None, 0))
    return found


def i2i_method(rows: pd.DataFrame, hour: int) -> set[str]:
    end = datetime.fromtimestamp(hour * 3600, UTC)
    seen = rows[rows["hour"] < hour]
    found = trends.trending(seen, end, baseline_start=end - timedelta(weeks=4))
    return {t["tag"] for t in found}


def mastodon(rows: pd.DataFrame, hour: int) -> set[str]:
    day_start = hour - hour % 24
    today = rows[(rows["hour"] >= day_start) & (rows["hour"] < hour)]
    yesterday = rows[(rows["hour"] >= day_start - 24) & (rows["hour"] < day_start)]
    observed = today.groupby("tag")["person"].nunique()
    expected = yesterday.groupby("tag")["person"].nunique().reindex(observed.index).fillna(0)
    expected = expected.clip(lower=1)
    return set(observed[(observed >= 5) & (observed > expected)].index)


def raw_counts(rows: pd.DataFrame, hour: int, k: int) -> set[str]:
    recent = rows[(rows["hour"] >= hour - 6) & (rows["hour"] < hour)]
    counts = recent.groupby("tag")["notes"].sum()
    return set(counts[counts >= k].index)


def gnip(rows: pd.DataFrame, hour: int, bucket: int, eta_min: float) -> set[str]:
    recent = rows[(rows["hour"] >= hour - bucket) & (rows["hour"] < hour)]
    observed = recent.groupby("tag")["person"].nunique()
    past = []
    for day in range(1, 8):
        shift = day * 24
        window = rows[(rows["hour"] >= hour - bucket - shift) & (rows["hour"] < hour - shift)]
        past.append(window.groupby("tag")["person"].nunique())
    mean = pd.concat(past, axis=1).fillna(0).mean(axis=1).reindex(observed.index).fillna(0)
    low, high = poisson.interval(0.99, mean.clip(lower=1e-6))
    width = pd.Series(high - low, index=observed.index).clip(lower=1)
    eta = (observed - mean).abs() / width
    return set(eta[(eta >= eta_min) & (observed > mean)].index)


def score(results: list[tuple[str | None, set[str], set[str]]]) -> tuple[float, float, float]:
    """(wanted tag, reported tags, tags allowed) per moment → precision, recall, F1."""
    tp = sum(1 for want, got, _ in results if want and want in got)
    fn = sum(1 for want, got, _ in results if want and want not in got)
    fp = sum(len(got - {want} - allowed) for want, got, allowed in results)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--notes", type=int, default=6000)
    args = parser.parse_args()
    judged: dict[str, list] = {"I2I": [], "Mastodon": []}
    raw: dict[int, list] = {k: [] for k in range(2, 31)}
    grid = [(b, e) for b in (1, 3, 6, 24) for e in (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)]
    gnips: dict[tuple, list] = {g: [] for g in grid}
    delays = []
    for seed in args.seeds:
        world = simulate(notes=args.notes, seed=seed, days=42, end=END, named=PEOPLE)
        rows = tag_rows(world)
        new = {e["tag"]: datetime.fromisoformat(e["first_seen"]) for e in world.truth.emerging}
        for hour, want, fourth in moments(world, rows):
            at = datetime.fromtimestamp(hour * 3600, UTC)
            ok = {tag for tag, first in new.items() if first < at}
            got = i2i_method(rows, hour)
            judged["I2I"].append((want, got, ok))
            judged["Mastodon"].append((want, mastodon(rows, hour), ok))
            for k in raw:
                raw[k].append((want, raw_counts(rows, hour, k), ok))
            for g in grid:
                gnips[g].append((want, gnip(rows, hour, *g), ok))
            if want:
                for h in range(fourth + 1, fourth + 13):
                    if want in i2i_method(rows, h):
                        delays.append(h - fourth - 1)
                        break
    best_raw = max(raw, key=lambda k: score(raw[k])[2])
    best_gnip = max(gnips, key=lambda g: score(gnips[g])[2])
    table = [
        ("I2I (untuned)", score(judged["I2I"])),
        ("Mastodon (DESIGN §5)", score(judged["Mastodon"])),
        (f"raw counts, best k={best_raw}", score(raw[best_raw])),
        (
            f"Gnip Poisson, best bucket {best_gnip[0]} h, eta {best_gnip[1]}",
            score(gnips[best_gnip]),
        ),
    ]
    moments_n = len(judged["I2I"])
    bursts_n = sum(1 for want, _, _ in judged["I2I"] if want)
    print(f"seeds {args.seeds}, {args.notes} notes each: {moments_n} moments, {bursts_n} bursts")
    print(f"{'method':48} {'precision':>9} {'recall':>7} {'F1':>6}")
    for name, (p, r, f) in table:
        print(f"{name:48} {p:9.2f} {r:7.2f} {f:6.2f}")
    if delays:
        median = statistics.median(delays)
        print(f"I2I flags a burst a median {median:.0f} h after the hour of its 4th person")
    return 0


if __name__ == "__main__":
    sys.exit(main())
