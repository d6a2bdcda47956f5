"""`i2i insights` on the simulated organisation, as an outside check runs it (DESIGN §5–6):
the fixed keys, the planted burst found with its reasons, nothing of a restricted
incident for anyone outside its team, and aggregates rebuilt to the same answer."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from tests.test_cli import i2i  # noqa: F401 - the fixture

KEYS = [
    "trends",
    "emerging",
    "declining",
    "tag_pairs",
    "tag_attributes",
    "tag_outcomes",
    "lead_lag",
    "communities",
    "experts",
    "alias_suggestions",
]


def insights(run, *args: str) -> dict:
    result = run("insights", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_insights_on_the_demo(i2i, tmp_path):  # noqa: F811
    assert i2i("demo").returncode == 0
    truth = json.loads((tmp_path / "demo-ground-truth.json").read_text())
    burst = next(b for b in truth["bursts"] if b["tag"] == "password_reset")
    peak = datetime.fromisoformat(burst["peak"])
    found = insights(
        i2i,
        "--from",
        (peak - timedelta(days=7)).date().isoformat(),
        "--to",
        (peak + timedelta(hours=2)).isoformat(),
    )
    assert list(found) == KEYS
    (trend,) = [t for t in found["trends"] if t["tag"] == "password_reset"]
    assert trend["people"] >= 4 and "on Patient Records" in trend["why"]
    assert set(trend) >= {"tag", "score", "onset", "peak", "people", "notes", "why"}

    first, last = (
        truth["start"][:10],
        (datetime.fromisoformat(truth["end"]) - timedelta(days=1)).date().isoformat(),
    )
    everyone = insights(i2i, "--from", first, "--to", last)
    secret = {tag for r in truth["restricted"] for tag in r["tags"]}
    team = truth["restricted"][0]["team"]
    outsider = next(
        p
        for p in ("sam", "lee", "kim", "noor", "ravi")
        if p not in {m for r in truth["restricted"] for m in r["team"]}
    )
    as_outsider = insights(i2i, "--from", first, "--to", last, "--as", outsider)
    for answer in (everyone, as_outsider):
        text = json.dumps(answer)
        assert not [tag for tag in secret if f'"{tag}"' in text]
    member = insights(i2i, "--from", first, "--to", last, "--as", team[0])
    assert secret & set(member["experts"])  # its team sees its own incident's tags
    assert any(p["a"] == "portal" and p["b"] == "selfservice" for p in everyone["tag_pairs"])
    pairs = [(r["leader"], r["follower"], r["lag_hours"]) for r in everyone["lead_lag"]]
    planted = truth["lead_lag"][0]
    assert (planted["leader"], planted["follower"], planted["lag_hours"]) in pairs
    drift = truth["alias_drift"][0]
    top5 = [(a["tag"], a["canonical"]) for a in everyone["alias_suggestions"][:5]]
    assert (drift["from"], drift["to"]) in top5

    rebuilt = i2i("insights", "rebuild")
    assert rebuilt.returncode == 0 and rebuilt.stdout.startswith("rebuilt the tag × hour")
    assert insights(i2i, "--from", first, "--to", last) == everyone


def test_insights_refuses_bad_input_in_one_line(i2i):  # noqa: F811
    for args, message in (
        ((), "give the period"),
        (("--from", "2026-01-01", "--to", "2026-13-01"), "is not a date"),
        (("--from", "2026-02-01", "--to", "2026-01-01"), "ends before it starts"),
        (("--from", "0001-01-01", "--to", "2026-01-01"), "outside the years"),
        (("--from", "2026-01-01", "--to", "2026-01-02", "--as", "nobody"), "no account @nobody"),
    ):
        result = i2i("insights", *args)
        assert result.returncode == 1 and message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
