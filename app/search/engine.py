"""Running a search over whole index segments at once, with numpy.

Whoosh finds matching documents by walking posting lists one document at a time in
Python. That is fine for rare words, but a note stream has words and tags that occur in a
tenth of all notes ("login", #vpn, "resolved"): ranking one of them, intersecting two,
counting or sorting their matches by time meant walking 100,000 postings, and took
hundreds of milliseconds to seconds at a million notes. Here each term a query needs
becomes an array over the segment's documents (its frequency in each), read from the
posting blocks once and kept in a cache shared by the searches of a process. A query is
then a few vector operations: boolean masks for AND, OR and NOT, a comparison with the
segment's array of note times for since:/until:, BM25 over the matching documents, and a
partial sort for the page asked for. Whoosh still owns the index: its files, writer,
analyzers, term dictionary and statistics; this module only reads them.

It reads two Whoosh internals (the codec's posting blocks and fixed-width column bytes),
which is why whoosh-reloaded is pinned to one version; a test checks both against
Whoosh's public answers. Anything unexpected falls back to Whoosh's own matchers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

K1, B = 1.2, 0.75  # BM25 as Whoosh's default BM25F weighting uses it
CONSTANT = object()  # a "term" adding a constant to the score (a time range, a "not")
LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


class _Cache:
    """Arrays kept across searches (per process), least recently used out first."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget = budget_bytes
        self.used = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, build):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        size = value.nbytes if isinstance(value, np.ndarray) else 64
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self.used += size
            while self.used > self.budget and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self.used -= old.nbytes if isinstance(old, np.ndarray) else 64
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.used = 0


CACHE = _Cache(256 * 1024 * 1024)


def configure(budget_mb: int) -> None:
    CACHE.budget = budget_mb * 1024 * 1024


# Reading a segment


class Segment:
    """One segment of an index as arrays: its notes' times, which documents are deleted,
    and (on demand) each field's lengths and each term's frequencies."""

    def __init__(self, subsearcher, key: tuple, top_searcher) -> None:
        self.subsearcher, self.key, self.top = subsearcher, key, top_searcher
        self.reader = reader = subsearcher.reader()
        self.n = reader.doc_count_all()
        self.at = CACHE.get((*key, "at"), self._times)
        deleted = reader.deleted_docs_set if reader.has_deletions() else ()
        self.alive = np.ones(self.n, dtype=bool)
        if deleted:
            self.alive[np.fromiter(deleted, dtype=np.int64)] = False

    def _times(self) -> np.ndarray:
        column = self.reader.column_reader("at", translate=False)
        return _column_array(column, self.n, ">u8").astype(np.int64)

    def lengths(self, field: str) -> np.ndarray:
        def build():
            column = self.reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
            if column is None:
                return np.zeros(self.n, dtype=np.uint8)
            return _column_array(column, self.n, "u1")

        return CACHE.get((*self.key, "len", field), build)

    def frequencies(self, field: str, text) -> np.ndarray:
        """How often the term occurs in each document (0: not at all), deleted ones too."""
        return CACHE.get((*self.key, "tf", field, text), lambda: self._frequencies(field, text))

    def _frequencies(self, field: str, text) -> np.ndarray:
        tf = np.zeros(self.n, dtype=np.uint8)
        if field not in self.reader.schema:
            return tf
        raw = self.reader._text_to_bytes(field, text)
        if (field, raw) not in self.reader._terms:
            return tf
        matcher = self.reader._terms.matcher(field, raw, self.reader.schema[field].format)
        ids, weights = _postings(matcher)
        tf[ids] = np.clip(np.rint(weights), 1, 255).astype(np.uint8)
        return tf


def _column_array(column, n: int, dtype: str) -> np.ndarray:
    """A fixed-width numeric column's values as an array (documents past the stored ones
    take the column's default, as Whoosh's reader gives them)."""
    try:
        stored = np.frombuffer(
            column._dbfile.get(column._basepos, column._count * column._fixedlen), dtype=dtype
        )
        default = column._default
    except AttributeError:  # not the column reader this was written for: the slow way
        return np.fromiter((column[d] for d in range(n)), dtype=dtype, count=n)
    values = np.full(n, default, dtype=dtype)
    values[: len(stored)] = stored[:n]
    return values


def _postings(matcher) -> tuple[np.ndarray, np.ndarray]:
    """Every (document, weight) of a posting list, read a block at a time."""
    ids, weights = [], []
    fast = all(hasattr(matcher, a) for a in ("_read_data", "_next_block", "_byteids"))
    while matcher.is_active():
        if not fast:
            ids.append(np.array([matcher.id()]))
            weights.append(np.array([matcher.weight()], dtype=np.float32))
            matcher.next()
            continue
        matcher._read_data()
        block_ids, block_weights = matcher._data[0], matcher._data[1]
        block = np.asarray(block_ids, dtype=np.int64)
        ids.append(block if matcher._byteids else np.cumsum(block))
        count = matcher._blocklength
        if block_weights is None:
            weights.append(np.ones(count, dtype=np.float32))
        elif isinstance(block_weights, float):
            weights.append(np.full(count, block_weights, dtype=np.float32))
        else:
            weights.append(np.asarray(block_weights, dtype=np.float32))
        matcher._next_block()
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return np.concatenate(ids), np.concatenate(weights)


# Evaluating a query on a segment


def _mask(q: wq.Query, segment: Segment, terms: list) -> np.ndarray:
    """Which documents of the segment match `q`; the positive terms go into `terms`."""
    if isinstance(q, wq.Term):
        terms.append((q.fieldname, q.text))
        return segment.frequencies(q.fieldname, q.text) > 0
    if isinstance(q, wq.And):
        mask = np.ones(segment.n, dtype=bool)
        for child in q.subqueries:
            if isinstance(child, wq.Not):
                terms.append((CONSTANT, child.boost))  # as Whoosh scores "not"
                mask &= ~_mask(child.query, segment, [])
            else:
                mask &= _mask(child, segment, terms)
        return mask
    if isinstance(q, wq.Or):
        mask = np.zeros(segment.n, dtype=bool)
        for child in q.subqueries:
            mask |= _mask(child, segment, terms)
        return mask
    if isinstance(q, wq.Not):
        terms.append((CONSTANT, q.boost))
        return ~_mask(q.query, segment, [])
    if isinstance(q, wq.NumericRange) and q.fieldname == "at":
        terms.append((CONSTANT, q.boost))  # Whoosh scores a range as a constant
        mask = np.ones(segment.n, dtype=bool)
        if q.start is not None:
            mask &= segment.at > q.start if q.startexcl else segment.at >= q.start
        if q.end is not None:
            mask &= segment.at < q.end if q.endexcl else segment.at <= q.end
        return mask
    return _whoosh_mask(q, segment)


def _whoosh_mask(q: wq.Query, segment: Segment) -> np.ndarray:
    """Any other kind of query (a prefix, a wildcard): Whoosh's own matcher decides."""
    mask = np.zeros(segment.n, dtype=bool)
    ids = np.fromiter(q.matcher(segment.subsearcher).all_ids(), dtype=np.int64)
    mask[ids] = True
    return mask


def _scores(segment: Segment, docs: np.ndarray, terms: list) -> np.ndarray:
    """Each document's score for the query's terms, as Whoosh's default weighting gives it:
    BM25 for words and tags, the posting's weight for exact values, a range's boost."""
    score = np.zeros(len(docs), dtype=np.float32)
    schema = segment.reader.schema
    for field, text in terms:
        if field is CONSTANT:
            score += text
            continue
        tf = segment.frequencies(field, text)[docs].astype(np.float32)
        if not schema[field].scorable:
            score += tf
            continue
        length = LENGTH_OF_BYTE[segment.lengths(field)[docs]]
        average = segment.top.avg_field_length(field) or 1.0
        idf = segment.top.idf(field, text)
        score += idf * (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * length / average))
    return score


# A whole search


def prepare(searcher, index: str):
    """Read now what searches will need of each segment: its times, its field lengths, and
    its stored fields' file opened. Whoosh opens segment files on first use, and by then
    the writer may have merged the segment into another and deleted its files (an open
    file stays readable once deleted; one not yet opened is gone). Returns `searcher`."""
    for subsearcher, _ in searcher.leaf_searchers():
        reader = subsearcher.reader()
        part = reader.segment()
        if part is None or not reader.doc_count_all():
            continue
        segment = Segment(subsearcher, (index, part.segment_id()), searcher)
        for field in reader.schema.scorable_names():
            segment.lengths(field)
        reader.stored_fields(0)
    return searcher


@dataclass
class Page:
    total: int  # visible documents that match
    docnums: list[int]  # the page's documents, in order


def search(
    searcher,
    q: wq.Query,
    *,
    index: str,
    hidden: set[int] | None,
    newest: bool,
    first: int,
    count: int,
) -> Page:
    """Documents `first` to `first + count` of the matches of `q` (not in `hidden`), best
    match first (ties: newer first) or newest first (ties: later indexed first). `index`
    names the index (its folder), so cached arrays are never taken for another one's."""
    found, times, scores = [], [], []
    for subsearcher, offset in searcher.leaf_searchers():
        part = subsearcher.reader().segment()
        if part is None:  # an empty index has a reader without segments
            continue
        segment = Segment(subsearcher, (index, part.segment_id()), searcher)
        terms: list = []
        mask = _mask(q, segment, terms) & segment.alive
        docs = np.flatnonzero(mask)
        if hidden:
            local = [d - offset for d in hidden if offset <= d < offset + segment.n]
            if local:
                docs = np.setdiff1d(docs, np.array(local, dtype=np.int64), assume_unique=True)
        found.append(docs + offset)
        times.append(segment.at[docs])
        if not newest:
            scores.append(_scores(segment, docs, terms))
    if not found:
        return Page(0, [])
    docnums, at = np.concatenate(found), np.concatenate(times)
    # np.lexsort sorts by its last key first: newest first, or best score then newest.
    keys = (-docnums, -at) if newest else (-docnums, -at, -np.concatenate(scores))
    end = min(first + count, len(docnums))
    if end <= first:
        return Page(len(docnums), [])
    if end < len(docnums):  # only what the page needs is sorted
        primary = keys[-1]
        cut = np.argpartition(primary, end - 1)[:end]
        # everything tied with the page's last value goes in too, so ties stay in order
        tied = np.flatnonzero(primary <= primary[cut].max())
        order = tied[np.lexsort(tuple(k[tied] for k in keys))]
    else:
        order = np.lexsort(keys)
    return Page(len(docnums), [int(d) for d in docnums[order[first:end]]])
