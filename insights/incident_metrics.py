"""Mean time to acknowledge (MTTA) and to resolve (MTTR), by any grouping of incidents."""

from __future__ import annotations

import pandas as pd


def response_times(incidents: pd.DataFrame, by: str) -> pd.DataFrame:
    """MTTA and MTTR in hours per value of `by` (e.g. "priority", "service").

    MTTA = mean(acknowledged_at − registered_at) over acknowledged incidents; MTTR =
    mean(resolved_at − registered_at) over resolved ones (ITIL's definitions, measured
    from registration). Medians are given too: a few very long incidents dominate means.
    Columns: `by`, incidents, acknowledged, resolved, mtta_h, mttr_h, median_ttr_h.
    """
    columns = [by, "incidents", "acknowledged", "resolved", "mtta_h", "mttr_h", "median_ttr_h"]
    if incidents.empty:
        return pd.DataFrame(columns=columns)
    frame = incidents.assign(
        tta=(incidents["acknowledged_at"] - incidents["registered_at"]).dt.total_seconds() / 3600,
        ttr=(incidents["resolved_at"] - incidents["registered_at"]).dt.total_seconds() / 3600,
    )
    frame[by] = frame[by].fillna("—")
    grouped = frame.groupby(by, dropna=False)
    result = pd.DataFrame(
        {
            "incidents": grouped.size(),
            "acknowledged": grouped["tta"].count(),
            "resolved": grouped["ttr"].count(),
            "mtta_h": grouped["tta"].mean(),
            "mttr_h": grouped["ttr"].mean(),
            "median_ttr_h": grouped["ttr"].median(),
        }
    ).reset_index()
    return result[columns].sort_values(by).reset_index(drop=True)
