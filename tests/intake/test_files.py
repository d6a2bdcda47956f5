"""Input files are read as streams, bounded once unpacked: no archive expands without limit."""

from __future__ import annotations

import gzip

import pytest

from app.errors import Refused
from app.intake import files


def test_a_gzip_file_is_read_as_text_like_a_plain_one(tmp_path):
    plain, packed = tmp_path / "a.jsonl", tmp_path / "a.jsonl.gz"
    plain.write_text("\ufeffone\n\ntwo\n", encoding="utf-8")
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert list(files.lines(plain)) == list(files.lines(packed)) == [(1, "one\n"), (3, "two\n")]


def test_an_archive_that_unpacks_past_the_limit_is_refused(tmp_path):
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(b"0" * 5_000_000))  # about 5 KB on disk
    assert bomb.stat().st_size < 20_000
    source = files.Source(bomb, limit=1024**2)
    with source, pytest.raises(Refused, match="larger than 1 MB once unpacked"):
        source.text.read()


def test_a_line_past_the_limit_comes_as_none_and_reading_goes_on(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("short\n" + "z" * 1000 + "\nlast\n", encoding="utf-8")
    assert list(files.lines(path, max_line=100)) == [(1, "short\n"), (2, None), (3, "last\n")]
