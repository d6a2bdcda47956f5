"""Trends on the simulated organisation's hard cases (plain data, no database): a
four-person burst trends; a weekly meeting at its hour and one person's flood do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from app.intake.demo import PEOPLE
from app.intake.simulate import simulate
from bench.trend_score import tag_rows
from insights import trends
from insights.scope import hour_of

END = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def world_and_rows():
    world = simulate(notes=6000, seed=3, days=42, end=END, named=PEOPLE)
    return world, tag_rows(world)  # the rows the app would keep, as the scoring builds them


def trending_at(rows: pd.DataFrame, at: datetime) -> set[str]:
    seen = rows[rows["hour"] < hour_of(at)]
    return {t["tag"] for t in trends.trending(seen, at, baseline_start=at - timedelta(weeks=4))}


def test_a_four_person_burst_trends_within_the_hour(world_and_rows):
    world, rows = world_and_rows
    burst = next(b for b in world.truth.bursts if b["tag"] == "badge_reader")
    assert len(burst["people"]) == 4
    last = max(n.posted_at for n in world.notes if "#badge_reader" in n.text)
    at = last.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    assert "badge_reader" in trending_at(rows, at)


def test_a_weekly_meeting_after_its_first_weeks_and_a_flood_do_not_trend(world_and_rows):
    world, rows = world_and_rows
    (meeting,) = world.truth.seasonal
    assert "cab" in trending_at(
        rows, datetime.fromisoformat(meeting["meetings"][0]) + timedelta(hours=1)
    )
    for at in meeting["meetings"][2:]:
        assert "cab" not in trending_at(rows, datetime.fromisoformat(at) + timedelta(hours=1))
    (flood,) = world.truth.floods
    after = datetime.fromisoformat(flood["at"]) + timedelta(hours=2)
    assert len(world.truth.floods[0]["person"]) and "diskspace" not in trending_at(rows, after)
