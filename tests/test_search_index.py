"""The search index: fed from the outbox by one writer, rebuilt and verified from the
database, searched with visibility applied, degraded (never broken) when it is damaged."""

from __future__ import annotations

import re
import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from whoosh.index import LockError

from app import incidents, jobs, notes, tags
from app.errors import Refused
from app.extensions import db
from app.models import Note, SearchOutbox, User, utcnow
from app.search import finder, index


@pytest.fixture
def sam(make_user):
    return make_user("sam")


@pytest.fixture
def lee(make_user):
    return make_user("lee")


def ids(results) -> list[int]:
    """Every note the page holds: each hit and the near-identical notes folded into it."""
    return [n for hit in results.hits for n in [hit.note.id, *(s.id for s in hit.similar)]]


def caught_up() -> None:
    while index.apply_outbox():
        pass
    finder.forget_searchers()


def test_posted_edited_and_retracted_notes_reach_the_index(sam, post):
    first = post(sam, "VPN tunnel resets every five minutes #vpn")
    second = post(sam, "printer jam on ward 3")
    caught_up()
    assert ids(finder.search(sam, "tunnel")) == [first.id]
    assert ids(finder.search(sam, "reset tunnels")) == [first.id]  # stemmed
    notes.edit_note(sam, second, "printer fixed, it was the tunnel of paper")
    caught_up()
    assert set(ids(finder.search(sam, "tunnel"))) == {first.id, second.id}
    notes.retract_note(sam, first)
    caught_up()
    assert ids(finder.search(sam, "tunnel")) == [second.id]
    assert index.verify().clean


def test_posting_never_waits_for_the_index_and_nothing_queued_is_lost(sam, post):
    shutil.rmtree(index.search_dir(), ignore_errors=True)
    posted = [post(sam, f"note {i} about #dns") for i in range(5)]
    queued = db.session.scalar(select(func.count()).select_from(SearchOutbox))
    assert queued == 5  # the outbox holds them; no index exists yet
    caught_up()
    found = finder.search(sam, "#dns")
    assert sorted(ids(found)) == sorted(n.id for n in posted)
    assert found.degraded is None  # every note was queued: the new index is whole


def test_a_fresh_note_does_not_wait_behind_a_backlog(sam, post, monkeypatch):
    from app.database import write_transaction
    from app.intake.bulk import NoteDraft, post_notes

    post(sam, "first")
    caught_up()
    with write_transaction():  # an import queues many at once
        post_notes([NoteDraft(sam.id, f"imported {i} #old", utcnow()) for i in range(30)])
    fresh = post(sam, "the printer is on fire #now")
    monkeypatch.setattr(index, "LIVE", 3)
    assert index.apply_outbox(limit=10) == 13  # the ten oldest and the three newest
    finder.forget_searchers()
    assert ids(finder.search(sam, "#now")) == [fresh.id]
    caught_up()
    assert finder.search(sam, "#old").total == 30


def test_restricted_notes_are_never_found_or_counted_by_outsiders(sam, lee, post):
    secret = incidents.register(sam, title="Intrusion", restricted=True)
    post(sam, "attacker used the VPN #breach", incident=secret)
    public = post(lee, "VPN is slow #vpn")
    caught_up()
    found = finder.search(lee, "VPN")
    assert ids(found) == [public.id] and found.total == 1
    assert finder.search(lee, "#breach").total == 0
    assert finder.search(sam, "VPN").total == 2  # sam is on its team
    incidents.add_member(sam, secret, lee)
    assert finder.search(lee, "VPN").total == 2


def test_a_tag_search_follows_aliases_both_ways(make_user, sam, post):
    ada = make_user("ada", role="admin")
    old = post(sam, "locked out again #pwreset")
    new = post(sam, "self-service #password_reset works")
    tags.make_alias(ada, "pwreset", "password_reset")
    caught_up()
    for q in ("#pwreset", "#password_reset", "#Password_Reset"):
        assert sorted(ids(finder.search(sam, q))) == sorted([old.id, new.id]), q


def test_filters_order_and_highlighting(sam, lee, post):
    incident = incidents.register(sam, title="Mail", service="Mail relay", impact=1, urgency=1)
    on_incident = post(sam, "relay queue growing #mail", incident=incident)
    loose = post(lee, "mail relay fine here")
    caught_up()
    assert ids(finder.search(sam, 'relay service:"mail relay"')) == [on_incident.id]
    assert ids(finder.search(sam, f"incident:{incident.number}")) == [on_incident.id]
    assert ids(finder.search(sam, "priority:P1")) == [on_incident.id]
    assert ids(finder.search(sam, "relay @lee")) == [loose.id]
    assert ids(finder.search(sam, "relay -queue")) == [loose.id]
    newest = finder.search(sam, "relay", order="newest")
    assert ids(newest) == [loose.id, on_incident.id] and newest.order == "newest"
    hit = finder.search(sam, "queue").hits[0]
    assert '<mark class="hit term0">queue</mark>' in hit.excerpt


def test_hostile_text_is_escaped_in_excerpts(sam, post):
    post(sam, 'login <script>alert("x")</script> fails & <img src=x onerror=alert(1)>')
    caught_up()
    excerpt = finder.search(sam, "login").hits[0].excerpt
    assert "<script>" not in excerpt and "<img" not in excerpt
    assert "&lt;script&gt;" in excerpt and "&amp;" in excerpt


def test_a_malformed_query_is_refused_with_a_message(sam):
    with pytest.raises(Refused, match="quotation mark"):
        finder.search(sam, '"unclosed phrase')


def test_a_deleted_index_degrades_search_and_a_rebuild_restores_it(sam, post):
    kept = [post(sam, f"disk full on host {i}") for i in range(3)]
    caught_up()
    shutil.rmtree(index.search_dir())
    degraded = finder.search(sam, "disk")
    assert degraded.degraded and "missing" in degraded.degraded and degraded.hits == []
    later = post(sam, "disk cleaned on host 9")
    caught_up()  # the writer recreates an empty index and marks it incomplete
    partial = finder.search(sam, "disk")
    assert "degraded" in partial.degraded and ids(partial) == [later.id]
    report = index.verify()
    assert sorted(report.missing) == sorted(n.id for n in kept) and not report.clean
    index.rebuild()
    finder.forget_searchers()
    whole = finder.search(sam, "disk")
    assert whole.degraded is None and whole.total == 4
    assert index.verify().clean


def test_a_corrupt_index_degrades_search(sam, post):
    post(sam, "certificate expired")
    caught_up()
    generation = index.current_generation()
    for path in Path(generation.path).glob("*.seg"):
        path.write_bytes(b"garbage")
    for path in Path(generation.path).glob("_MAIN_*.toc"):
        path.write_bytes(b"garbage")
    finder.forget_searchers()
    assert finder.search(sam, "certificate").degraded


def test_a_locked_index_lets_posting_and_searching_go_on_and_catches_up(sam, post):
    post(sam, "proxy slow")
    caught_up()
    ix = index.current_generation().open()
    held = ix.writer()  # another writer holds Whoosh's lock (a stuck process, say)
    try:
        later = post(sam, "proxy slow again")  # posting does not wait for the index
        with pytest.raises(LockError):
            index.apply_outbox(timeout=0.2)
        found = finder.search(sam, "proxy")
        assert found.total == 1 and found.degraded is None  # reading needs no lock
        db.session.execute(  # the change has waited a while now: search says it is behind
            update(SearchOutbox)
            .where(SearchOutbox.note_id == later.id)
            .values(queued_at=utcnow() - timedelta(minutes=4))
        )
        db.session.commit()
        assert "Search is behind by 4 min" in finder.search(sam, "proxy").degraded
    finally:
        held.cancel()
        ix.close()
    caught_up()
    found = finder.search(sam, "proxy")
    assert later.id in ids(found) and found.degraded is None


def test_an_index_of_an_older_version_counts_as_missing_until_rebuilt(sam, post):
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, Schema

    post(sam, "old index, new code")
    caught_up()
    generation = index.current_generation()
    shutil.rmtree(generation.path)
    generation.path.mkdir()
    whoosh_index.create_in(str(generation.path), Schema(id=ID(stored=True)))
    finder.forget_searchers()
    assert "older version" in finder.search(sam, "index").degraded
    index.rebuild()
    finder.forget_searchers()
    assert finder.search(sam, "index").total == 1 and index.verify().clean


def test_searching_goes_on_while_the_writer_merges_segments_away(sam, post):
    """Whoosh opens a segment's files on first use; a merge may delete them before."""
    first = post(sam, "alpha note")
    caught_up()
    second = post(sam, "beta note")
    caught_up()  # two segments now
    assert ids(finder.search(sam, "alpha")) == [first.id]  # opens this thread's searcher
    ix = index.current_generation().open()
    writer = ix.writer()
    writer.commit(optimize=True)  # one new segment; the two old ones' files are deleted
    ix.close()
    found = finder.search(sam, "beta")  # still the searcher opened before the merge
    assert ids(found) == [second.id] and found.degraded is None


def test_verify_finds_stale_documents(sam, post):
    note = post(sam, "dns flapping")
    caught_up()
    db.session.execute(
        SearchOutbox.__table__.delete()
    )  # lose the queue entry of the next change, as a bug would
    note.text = "dns stable"
    db.session.commit()
    report = index.verify()
    assert report.stale == [note.id]
    index.rebuild()
    assert index.verify().clean


def test_a_rebuild_replays_what_changed_while_it_read(sam, post):
    before = post(sam, "before the rebuild #a")
    caught_up()
    index.rebuild()
    during = post(sam, "written during the rebuild #a")  # queued; applied after the switch
    caught_up()
    assert sorted(ids(finder.search(sam, "#a"))) == sorted([before.id, during.id])


def test_posts_edits_and_retractions_reach_the_index_within_two_seconds(ctx, sam, post):
    """With the duties' production tick (every 0.5 s), as gunicorn workers run them."""
    runner = jobs.Runner(ctx)
    runner.start()

    def seconds_until(q: str, expected: list[int]) -> float:
        db.session.commit()
        started = time.monotonic()
        while time.monotonic() - started < 5:
            finder.forget_searchers()
            if ids(finder.search(sam, q)) == expected:
                break
            time.sleep(0.05)
        return time.monotonic() - started

    try:
        assert runner.leading.wait(5)
        note = post(sam, "kerberos clock skew")
        assert seconds_until("kerberos", [note.id]) < 2.0
        notes.edit_note(sam, note, "ntp drift on the domain controllers")
        assert seconds_until("ntp", [note.id]) < 2.0
        assert ids(finder.search(sam, "kerberos")) == []
        notes.retract_note(sam, db.session.get(Note, note.id))
        assert seconds_until("ntp", []) < 2.0
    finally:
        runner.stop()


def test_concurrent_posts_from_threads_all_reach_the_index(ctx, sam):
    runner = jobs.Runner(ctx, tick=0.05)
    runner.start()
    errors: list[Exception] = []
    author_id = sam.id
    db.session.commit()

    def poster(n: int) -> None:
        with ctx.app_context():
            try:
                author = db.session.get(User, author_id)
                for i in range(10):
                    notes.post_note(author, f"burst {n}-{i} #load")
            except Exception as error:  # noqa: BLE001 (reported below)
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=poster, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and finder.search(sam, "#load").total < 40:
            finder.forget_searchers()
            time.sleep(0.1)
    finally:
        runner.stop()
    assert errors == []
    assert finder.search(sam, "#load").total == 40
    assert index.verify().clean


def test_the_github_status_history_is_searchable(make_user, sam):
    from app.intake import statuspage

    folder = Path(__file__).resolve().parents[2] / "shared" / "data" / "github-status-history"
    statuspage.import_statuspage(folder)
    summary = index.rebuild()
    assert summary.notes > 3000
    db.session.commit()
    phrase = finder.search(sam, '"webhook deliveries"', per_page=100)
    written = db.session.scalar(
        select(func.count())
        .select_from(Note)
        .where(func.lower(Note.text).contains("webhook deliveries"))
    )
    assert phrase.total >= written >= 20
    stemmed = re.compile(r"webhooks? deliver", re.IGNORECASE)  # "webhooks delivery" too
    assert all(stemmed.search(hit.note.text) for hit in phrase.hits)
    recent = finder.search(sam, "codespaces since:2023-01-01", order="newest")
    assert recent.total > 50
    days = [hit.note.sort_at for hit in recent.hits]
    assert days == sorted(days, reverse=True) and days[-1].year >= 2023
    assert finder.search(sam, '"git operations" -codespaces').total > 0
