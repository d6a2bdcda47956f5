"""The vectorised search engine gives Whoosh's own answers: the same matches, the same
newest-first order, the same BM25 scores, on an index of several segments with deletions."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.query import And, DateRange, Not, Or, Term

from app.search import engine
from app.search.query import phrase
from app.search.schema import ANALYZER, SCHEMA

WORDS = ["login", "portal", "reset", "vpn", "slow", "queue", "ward", "printer", "badge"]
TAGS = ["vpn", "mfa", "epr", "howto", "pwreset"]
T0 = datetime(2026, 1, 1, 8, 0)


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    """600 notes over five segments, every seventh one deleted afterwards."""
    folder = tmp_path_factory.mktemp("engine-index")
    ix = whoosh_index.create_in(str(folder), SCHEMA)
    rng = random.Random(5)
    for part in range(5):
        writer = ix.writer()
        for n in range(part * 120, part * 120 + 120):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 9)))
            writer.add_document(
                id=str(n),
                text=words,
                pairs=words,
                tags=" ".join(rng.sample(TAGS, rng.randint(0, 2))),
                author=rng.choice(["sam", "lee", "kim"]),
                at=T0 + timedelta(minutes=rng.randrange(100_000), microseconds=n),
                incident="INC0000001" if n % 11 == 0 else None,
            )
        writer.commit(merge=False)
    writer = ix.writer()
    for n in range(0, 600, 7):
        writer.delete_by_term("id", str(n))
    writer.commit(merge=False)
    with ix.searcher() as s:
        assert len(s.leaf_searchers()) == 5 and s.doc_count() < s.doc_count_all()
        yield s
    engine.CACHE.clear()


def queries():
    rng = random.Random(11)
    word = lambda: Term("text", next(ANALYZER(rng.choice(WORDS))).text)  # noqa: E731
    tag = lambda: Term("tags", rng.choice(TAGS))  # noqa: E731
    start = T0 + timedelta(minutes=rng.randrange(50_000))
    made = [
        word(),
        tag(),
        Term("author", "kim"),
        And([word(), word()]),
        And([word(), tag()]),
        Or([word(), tag()]),
        And([word(), Not(word())]),
        And([tag(), DateRange("at", start, start + timedelta(days=20))]),
        And([word(), DateRange("at", start, None)]),
        phrase(["login", "portal"]),
        phrase([next(ANALYZER(w)).text for w in ("reset", "queue", "ward")]),
    ]
    return made + [And([word(), Or([tag(), word()])]) for _ in range(10)]


def numbers(q, s, hidden=None, **options):
    whole = s.doc_count_all()
    return engine.search(s, q, index="t", hidden=hidden, first=0, count=whole, **options)


@pytest.mark.parametrize("q", queries(), ids=str)
def test_newest_first_gives_whooshs_matches_in_time_order(searcher, q):
    expected = [hit.docnum for hit in searcher.search(q, limit=None, sortedby="at", reverse=True)]
    page = numbers(q, searcher, newest=True)
    assert page.docnums == expected and page.total == len(expected)


@pytest.mark.parametrize("q", queries(), ids=str)
def test_best_match_scores_as_whoosh_scores(searcher, q):
    scored = {hit.docnum: hit.score for hit in searcher.search(q, limit=None)}
    page = numbers(q, searcher, newest=False)
    assert sorted(page.docnums) == sorted(scored)
    mine = []
    for subsearcher, offset in searcher.leaf_searchers():
        segment = engine.Segment(
            subsearcher, ("t", subsearcher.reader().segment().segment_id()), searcher
        )
        terms: list = []
        docs = np.flatnonzero(engine._mask(q, segment, terms) & segment.alive)
        mine += zip(
            (docs + offset).tolist(), engine._scores(segment, docs, terms).tolist(), strict=True
        )
    for docnum, score in mine:
        assert score == pytest.approx(scored[docnum], rel=1e-5)
    ranked = [d for d, _ in sorted(mine, key=lambda x: -x[1])]
    assert [round(scored[d], 4) for d in page.docnums] == [round(scored[d], 4) for d in ranked]


def test_a_page_is_the_slice_of_the_whole_order(searcher):
    q = Or([Term("text", "login"), Term("tags", "vpn")])
    whole = numbers(q, searcher, newest=True).docnums
    page = engine.search(searcher, q, index="t", hidden=None, newest=True, first=20, count=10)
    assert page.docnums == whole[20:30] and page.total == len(whole)
    beyond = engine.search(searcher, q, index="t", hidden=None, newest=True, first=10**6, count=10)
    assert beyond.docnums == [] and beyond.total == len(whole)


def test_hidden_documents_are_neither_shown_nor_counted(searcher):
    q = Term("text", "login")
    hidden = set(searcher.docs_for_query(Term("incident", "INC0000001")))
    everything = numbers(q, searcher, newest=True)
    seen = numbers(q, searcher, hidden=hidden, newest=True)
    assert set(seen.docnums) == set(everything.docnums) - hidden
    assert seen.total == everything.total - len(hidden & set(everything.docnums)) > 0


def test_columns_and_postings_read_in_bulk_equal_whoosh_reading_them_one_by_one(searcher):
    for subsearcher, _ in searcher.leaf_searchers():
        reader = subsearcher.reader()
        n = reader.doc_count_all()
        column = reader.column_reader("at", translate=False)
        assert engine._column_array(column, n, ">u8").tolist() == [column[d] for d in range(n)]
        lengths = reader._perdoc._cached_reader("_text_len", engine.LENGTHS_COLUMN)
        bulk = engine.LENGTH_OF_BYTE[engine._column_array(lengths, n, "u1")]
        assert bulk.tolist() == [reader.doc_field_length(d, "text") for d in range(n)]
        raw = reader._text_to_bytes("text", "login")
        matcher = reader._terms.matcher("text", raw, reader.schema["text"].format)
        ids, weights = engine._postings(matcher)
        again = reader._terms.matcher("text", raw, reader.schema["text"].format)
        assert list(zip(ids.tolist(), weights.tolist(), strict=True)) == list(
            again.items_as("weight")
        )
