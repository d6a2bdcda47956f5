"""Reading input files within bounds: a file of any size is streamed, a gzipped one is
decompressed as it is read and refused past MAX_BYTES (a small archive can expand without
limit), and a line longer than MAX_LINE is refused rather than read whole into memory."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path

from app.errors import Refused

MAX_BYTES = 4 * 1024**3  # decompressed; the real ServiceNow log is 30 MB, a year of notes 1 GB
MAX_LINE = 64 * 1024  # a JSON Lines record of a 500-character note is well under 2 KB
GZIP_MAGIC = b"\x1f\x8b"


class _Bounded(io.RawIOBase):
    """A binary stream that refuses to yield more than `limit` bytes."""

    def __init__(self, raw, limit: int, name: str) -> None:
        self.raw, self.left, self.limit, self.name = raw, limit, limit, name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(min(len(buffer), self.left + 1))
        if len(data) > self.left:
            raise Refused(f"{self.name} is larger than {self.limit // 1024**2:,} MB once unpacked.")
        self.left -= len(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


class Source:
    """An input file as UTF-8 text (a byte-order mark skipped), gunzipped as it is read if
    it is gzip; `position()` is how far into the file on disk reading has come, for
    progress bars (of `size` bytes)."""

    def __init__(self, path: Path, limit: int = MAX_BYTES) -> None:
        self.size = path.stat().st_size
        self._file = path.open("rb")
        gzipped = self._file.read(2) == GZIP_MAGIC
        self._file.seek(0)
        raw = gzip.GzipFile(fileobj=self._file, mode="rb") if gzipped else self._file
        bounded = io.BufferedReader(_Bounded(raw, limit, path.name))
        self.text = io.TextIOWrapper(bounded, encoding="utf-8-sig", newline="")

    def position(self) -> int:
        return self._file.tell()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.text.close()
        self._file.close()


TOO_LONG = f"the line is longer than {MAX_LINE // 1024} KB"


def lines(path: Path, max_line: int = MAX_LINE) -> Iterator[tuple[int, str | None]]:
    """(line number, line) for each non-blank line; a line over `max_line` characters is
    given as None, so the caller reports it (TOO_LONG) without holding it in memory."""
    with Source(path) as source:
        text, number = source.text, 0
        while True:
            line = text.readline(max_line + 1)
            if not line:
                return
            number += 1
            if len(line) > max_line and not line.endswith("\n"):
                while (rest := text.readline(max_line)) and not rest.endswith("\n"):
                    pass
                yield number, None
                continue
            if line.strip():
                yield number, line
