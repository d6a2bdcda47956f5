"""The simulated organisation: deterministic, believable, and its planted patterns are
really in the notes (and the noise is not patterned)."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import tags
from app.extensions import db
from app.intake import demo
from app.intake.simulate import simulate, week_start
from app.models import Incident, IncidentMember, Note
from app.text import unique_hashtags

END = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world():
    return simulate(notes=4000, seed=11, days=42, end=END, named=demo.PEOPLE)


def keyed(world):
    return [(n.author, n.posted_at, n.text, n.incident, n.reply_to) for n in world.notes]


def test_the_same_seed_gives_the_same_organisation(world):
    again = simulate(notes=4000, seed=11, days=42, end=END, named=demo.PEOPLE)
    assert keyed(again) == keyed(world) and again.truth == world.truth
    other = simulate(notes=4000, seed=12, days=42, end=END, named=demo.PEOPLE)
    assert keyed(other) != keyed(world)


def test_a_week_later_the_same_seed_builds_the_same_organisation_a_week_later():
    monday = week_start(END)
    assert (monday.weekday(), monday.hour, monday.minute) == (0, 0, 0) and monday <= END
    assert week_start(monday + timedelta(days=6, hours=23)) == monday
    now = simulate(notes=800, seed=4, days=14, end=monday, named=demo.PEOPLE)
    later = simulate(notes=800, seed=4, days=14, end=monday + timedelta(weeks=1), named=demo.PEOPLE)
    week = timedelta(weeks=1)
    assert [(a, t + week, x, i, r) for a, t, x, i, r in keyed(now)] == keyed(later)
    assert [(i.number, i.registered_at + week) for i in now.incidents] == [
        (i.number, i.registered_at) for i in later.incidents
    ]


def test_notes_fit_the_period_replies_follow_their_parents_and_rhythms_show(world):
    start = END - timedelta(days=42)
    assert 4000 <= len(world.notes) <= 4100
    assert all(start <= n.posted_at <= END and len(n.text) <= 500 for n in world.notes)
    by_key = {n.key: n for n in world.notes}
    replies = [n for n in world.notes if n.reply_to is not None]
    assert len(replies) > 300
    assert all(by_key[n.reply_to].posted_at <= n.posted_at for n in replies)
    working = sum(1 for n in world.notes if 8 <= n.posted_at.hour < 18)
    night = sum(1 for n in world.notes if n.posted_at.hour < 6)
    assert working > 4 * night  # a daily rhythm
    weekdays = Counter(n.posted_at.weekday() < 5 for n in world.notes)
    assert weekdays[True] / 5 > 2 * weekdays[False] / 2  # and a weekly one
    mentions = sum(1 for n in world.notes if " @" in n.text)
    assert mentions > 100


def test_incidents_have_consistent_lifecycles_and_some_miss_their_sla(world):
    for incident in world.incidents:
        if incident.resolved_at:
            assert incident.registered_at < incident.resolved_at <= END
            assert incident.status in ("resolved", "closed")
        elif incident.cancelled_at:
            assert incident.status == "cancelled" and incident.registered_at < incident.cancelled_at
        else:
            assert incident.status in ("new", "in_progress", "on_hold")
        if incident.reopened_at:
            assert incident.first_resolved_at < incident.reopened_at < incident.resolved_at
    outcomes = Counter(i.made_sla for i in world.incidents if i.made_sla is not None)
    assert outcomes[True] > outcomes[False] > 10


def test_some_incidents_reopen_cancel_gather_reports_or_are_restricted(world):
    by_number = {i.number: i for i in world.incidents}
    reopened = [i for i in world.incidents if i.reopened_at]
    cancelled = [i for i in world.incidents if i.status == "cancelled"]
    children = [i for i in world.incidents if i.parent]
    secret = [i for i in world.incidents if i.restricted]
    assert 5 <= len(reopened) <= 0.08 * len(world.incidents)
    assert 3 <= len(cancelled) <= 0.06 * len(world.incidents)
    assert len({c.parent for c in children}) >= 2 and len(children) >= 4
    for child in children:
        parent = by_number[child.parent]
        assert parent.registered_at < child.registered_at < parent.resolved_at
        assert child.resolved_at == parent.resolved_at and child.service == parent.service
    assert secret and {s["incident"] for s in world.truth.restricted} == {i.number for i in secret}
    for incident in secret:
        authors = {n.author for n in world.notes if n.incident == incident.number}
        assert authors <= set(incident.team)
    quick = Counter(
        line.split()[0] for n in world.notes for line in n.text.splitlines() if line.startswith("/")
    )
    assert {"/status", "/link"} <= set(quick)


def people_per_day(world, tag: str) -> dict:
    days = defaultdict(set)
    for note in world.notes:
        if tag in {t.key for t in unique_hashtags(note.text)}:
            days[note.posted_at.date()].add(note.author)
    return days


def test_the_planted_burst_is_there_and_sized_like_a_real_one(world):
    burst = next(b for b in world.truth.bursts if b["tag"] == "password_reset")
    assert 3 <= len(burst["people"]) <= 20
    onset = datetime.fromisoformat(burst["onset"])
    assert onset.hour == 6  # just before the 07:00 shift change
    days = people_per_day(world, "password_reset")
    usual = sorted(len(p) for d, p in days.items() if d != onset.date())
    assert len(days[onset.date()]) >= 12 > 3 * (usual[len(usual) // 2] if usual else 0)


@pytest.mark.parametrize(
    "tag,service", [("password_reset", "Patient Records"), ("vpn_drop", "VPN")]
)
def test_each_burst_is_on_its_service_and_peaks_when_the_truth_says(world, tag, service):
    burst = next(b for b in world.truth.bursts if b["tag"] == tag)
    assert burst["service"] == service and 3 <= len(burst["people"]) <= 20
    onset, peak = (datetime.fromisoformat(burst[k]) for k in ("onset", "peak"))
    by_number = {i.number: i for i in world.incidents}
    notes = [
        n
        for n in world.notes
        if f"#{tag}" in n.text and onset <= n.posted_at < onset + timedelta(hours=8)
    ]
    assert {n.author for n in notes} == set(burst["people"])
    assert {by_number[n.incident].service for n in notes} == {service}
    hours = Counter(n.posted_at.replace(minute=0, second=0, microsecond=0) for n in notes)
    assert onset <= peak and hours[peak] == max(hours.values())


def test_the_tag_tied_to_a_service_and_priority_takes_longer_to_resolve(world):
    planted = world.truth.tag_attributes[0]
    on_tag = {n.incident for n in world.notes if f"#{planted['tag']}" in n.text and n.incident}
    incidents = [i for i in world.incidents if i.service == planted["service"] and i.resolved_at]
    hours = {i.number: (i.resolved_at - i.registered_at).total_seconds() / 3600 for i in incidents}
    tagged = sorted(h for number, h in hours.items() if number in on_tag)
    others = sorted(
        h
        for number, h in hours.items()
        if number not in on_tag and by_priority(world, number) == planted["priority"]
    )
    assert {by_priority(world, number) for number in on_tag} == {planted["priority"]}
    assert tagged[len(tagged) // 2] > 2 * others[len(others) // 2]


def by_priority(world, number: str) -> int:
    return next(i.priority for i in world.incidents if i.number == number)


def test_the_emerging_tag_is_new_and_rising(world):
    emerging = world.truth.emerging[0]
    days = people_per_day(world, emerging["tag"])
    first = datetime.fromisoformat(emerging["first_seen"])
    assert min(days) == first.date() and first > END - timedelta(days=5)
    counts = [len(days[d]) for d in sorted(days)]
    assert counts[-1] > counts[0] and sum(counts) >= 10


def test_alias_drift_switches_spelling_on_the_switch_day(world):
    drift = world.truth.alias_drift[0]
    switch = datetime.fromisoformat(drift["switch"])
    old = [n.posted_at for n in world.notes if "#pwreset" in n.text]
    assert old and max(old) < switch
    new = [
        n.posted_at
        for n in world.notes
        if "caller needed a password reset #password_reset" in n.text
    ]
    assert new and min(new) >= switch


def test_pairs_attributes_lead_lag_and_teams_are_planted(world):
    both = sum(1 for n in world.notes if "#selfservice" in n.text and "#portal" in n.text)
    alone = sum(1 for n in world.notes if "#selfservice" in n.text and "#portal" not in n.text)
    assert both >= 20 and alone == 0
    expiry = {n.incident for n in world.notes if "#token_expiry" in n.text}
    on = [i for i in world.incidents if i.number in expiry]
    assert {i.service for i in on} == {"Lab Results"} and {i.priority for i in on} == {2}
    leaders = sorted(n.posted_at for n in world.notes if "#cert_warning" in n.text)
    followers = sorted(n.posted_at for n in world.notes if "#sso_outage" in n.text)
    assert leaders and followers and min(followers) - min(leaders) >= timedelta(hours=5)
    crews = {tuple(t["members"]) for t in world.truth.teams}
    together = Counter(tuple(sorted(i.team)) for i in world.incidents)
    assert all(together[crew] >= 10 for crew in crews)


def test_noise_tags_are_steady(world):
    for tag in world.truth.noise:
        weekly = Counter(n.posted_at.isocalendar()[1] for n in world.notes if f"#{tag}" in n.text)
        counts = sorted(weekly.values())
        assert counts and counts[-1] <= 3 * max(counts[len(counts) // 2], 1)


def test_i2i_demo_stores_it_all_with_its_ground_truth(ctx):
    summary = demo.build_demo(
        notes=600, seed=3, days=10, end=END, instance_dir=Path(ctx.config["I2I_INSTANCE_DIR"])
    )
    assert re.search(r"46 people, 6\d\d notes over 10 days, \d+ incidents", summary)
    assert db.session.scalar(select(func.count()).select_from(Note)) >= 600
    assert db.session.scalar(select(func.count()).select_from(IncidentMember)) > 100
    truth_file = ctx.config["I2I_INSTANCE_DIR"] + "/" + demo.TRUTH_FILE
    truth = json.loads(Path(truth_file).read_text(encoding="utf-8"))
    keys = {"bursts", "emerging", "alias_drift", "tag_pairs", "tag_attributes", "lead_lag"}
    assert keys | {"teams", "noise", "restricted"} <= set(truth)
    burst = tags.get_tag("password_reset")
    assert burst.note_count >= 12
    closed = db.session.scalar(
        select(func.count()).select_from(Incident).where(Incident.status == "closed")
    )
    assert closed > 10
    assert "already built" in demo.build_demo(
        notes=10, seed=3, days=10, instance_dir=Path(ctx.config["I2I_INSTANCE_DIR"])
    )
    from app import accounts, incidents
    from app.models import Service

    assert db.session.scalar(select(func.count()).select_from(Service)) == len(demo.SERVICES)
    assert db.session.scalar(select(func.count()).where(Incident.parent_id.is_not(None))) >= 2
    (secret,) = db.session.scalars(select(Incident).where(Incident.restricted))
    rui = accounts.get_user("rui")  # a researcher, not on the security team
    assert secret.number not in {i.number for i in incidents.search_incidents(rui, status="all")}
    hidden = select(func.count()).where(Note.incident_id == secret.id)
    assert db.session.scalar(hidden) >= 4
    assert all(
        "phishing" not in tag.key or tag.note_count == 0
        for tag in tags.suggest_tags("phish") + [tags.find_tag("phishing")]
        if tag is not None
    )
    assert truth["restricted"][0]["incident"] == secret.number
