"""Trends on small hand-made aggregates: a burst, a weekly meeting, a flood, quiet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from scipy.stats import poisson

from insights import trends
from insights.scope import Scope
from insights.summary import judged_at

END = datetime(2026, 11, 30, 12, tzinfo=UTC)  # a Monday, noon
END_HOUR = int(END.timestamp()) // 3600
BASE = END - timedelta(weeks=4)


def rows(*records: tuple[str, int, str, int]) -> pd.DataFrame:
    """(tag, hours before END, person, notes) → aggregate rows."""
    return pd.DataFrame(
        [
            {"tag": t, "hour": END_HOUR - ago, "person": p, "incident": 0, "notes": n}
            for t, ago, p, n in records
        ]
    )


def steady(tag: str, people: int = 1) -> list:
    """The tag used by `people` people once a day over the four weeks before."""
    return [(tag, ago, f"s{i}", 1) for ago in range(30, 24 * 28, 24) for i in range(people)]


def test_a_small_burst_trends_with_its_numbers_and_reasons():
    burst = [("vpn_drop", 1 + i % 4, f"p{i}", 2) for i in range(5)]
    found = trends.trending(rows(*burst, *steady("noise")), END, baseline_start=BASE)
    assert [t["tag"] for t in found] == ["vpn_drop"]
    (trend,) = found
    assert trend["people"] == 5 and trend["notes"] == 10
    expected = trend["expected"]
    assert expected == trends.TrendRules().floor  # never seen before: the prior alone
    assert trend["p"] == poisson.sf(4, expected)  # P(X ≥ 5)
    assert trend["why"].startswith("5 people in the last 6 h against 0.05 expected")
    assert trend["onset"] == (END - timedelta(hours=4)).isoformat()


def test_one_person_flooding_a_tag_is_one_person():
    flood = [("mine", ago, "solo", 25) for ago in range(1, 6)]
    assert trends.trending(rows(*flood), END, baseline_start=BASE) == []


def test_a_weekly_meeting_is_expected_at_its_hour_of_the_week():
    meeting = [("cab", weeks * 168 + 2, f"m{i}", 1) for weeks in range(0, 4) for i in range(8)]
    assert trends.trending(rows(*meeting), END, baseline_start=BASE) == []
    expected = trends.expected_people(
        trends.people_per_block(rows(*meeting), END_HOUR, 6), 3 * 28, 6
    )
    assert expected["cab"] == 8  # its mean at this hour of the week, not its level (0.3)


def test_a_busy_tag_at_its_usual_level_does_not_trend_and_a_quiet_window_has_none():
    usual = steady("login", people=6) + [("login", 2, f"s{i}", 1) for i in range(6)]
    assert trends.trending(rows(*usual), END, baseline_start=BASE) == []
    assert trends.trending(rows(*steady("login")), END, baseline_start=BASE) == []


def test_a_burst_that_ended_hours_ago_is_not_trending_at_the_end():
    old = [("vpn_drop", 10 + i % 3, f"p{i}", 1) for i in range(9)]
    assert trends.trending(rows(*old), END, baseline_start=BASE) == []


def test_emerging_is_new_and_rising_and_declining_falls_short_of_its_level():
    new = rows(
        ("mfa_fatigue", 50, "a", 1),
        ("mfa_fatigue", 20, "b", 1),
        ("mfa_fatigue", 5, "c", 1),
        ("mfa_fatigue", 3, "d", 1),
        ("old", 60, "a", 1),
    )
    first_seen = pd.DataFrame(
        {"tag": ["old", "mfa_fatigue"], "first_seen": [BASE, END - timedelta(hours=50)]}
    )
    found = trends.emerging(new, first_seen, END - timedelta(days=7), END)
    assert found == [
        {"tag": "mfa_fatigue", "first_seen": (END - timedelta(hours=50)).isoformat(), "people": 4}
    ]
    fading = rows(*steady("pwreset", people=3))  # three people a day, then none this week
    fading = fading[fading["hour"] < END_HOUR - 24 * 7]
    (decline,) = trends.declining(fading, END - timedelta(days=7), END, baseline_start=BASE)
    assert decline["tag"] == "pwreset" and decline["observed"] == 0 and decline["score"] == 1.0


def test_a_window_running_to_now_is_judged_with_the_current_hour():
    now = END + timedelta(minutes=5)  # five minutes into an hour
    running = Scope(END - timedelta(days=1), now)
    assert judged_at(running, now) == END + timedelta(hours=1)
    past = Scope(END - timedelta(days=2), END - timedelta(days=1))
    assert judged_at(past, now) == END - timedelta(days=1)
