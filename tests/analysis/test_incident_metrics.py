"""MTTA and MTTR from a DataFrame of incidents (pure pandas, no app)."""

from __future__ import annotations

import pandas as pd

from insights.incident_metrics import response_times


def ts(text: str | None):
    return pd.Timestamp(text, tz="UTC") if text else pd.NaT


def test_means_and_medians_per_group_over_acknowledged_and_resolved_only():
    frame = pd.DataFrame(
        {
            "priority": [1, 1, 1, 3],
            "registered_at": [ts("2026-01-01 10:00")] * 4,
            "acknowledged_at": [
                ts("2026-01-01 10:30"),
                ts("2026-01-01 11:30"),
                None,
                ts("2026-01-01 12:00"),
            ],
            "resolved_at": [ts("2026-01-01 12:00"), ts("2026-01-01 20:00"), None, None],
        }
    )
    table = response_times(frame, "priority").set_index("priority")
    assert table.loc[1, "incidents"] == 3 and table.loc[1, "resolved"] == 2
    assert table.loc[1, "mtta_h"] == 1.0 and table.loc[1, "mttr_h"] == 6.0
    assert table.loc[1, "median_ttr_h"] == 6.0 and table.loc[3, "mtta_h"] == 2.0
    assert pd.isna(table.loc[3, "mttr_h"])


def test_no_incidents_gives_an_empty_table_with_its_columns():
    empty = pd.DataFrame(columns=["service", "registered_at", "acknowledged_at", "resolved_at"])
    assert list(response_times(empty, "service").columns)[:2] == ["service", "incidents"]
