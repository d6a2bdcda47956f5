"""Analysis results kept for reuse: JSON files under I2I_INSTANCE_DIR/results/, shared by
every worker of a machine, keyed by what a result depends on.

A key is the analysis, its scope (window, tags, services, the incidents hidden from the
viewer: a change of who may see what is a new key at once) and a stamp of the data
(the newest note, note version and incident event, and the number of aliases), so a
post, an edit, an incident change or an alias is a new key too. A retraction changes
none of these, so a result also lives at most `MAX_AGE` seconds. Old files are pruned
beyond `KEEP`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import text

from app.extensions import db

MAX_AGE = 120  # seconds
RESULT_NAME = re.compile(r"[a-z_]+-[0-9a-f]{32}\.json")
KEEP = 300  # files

STAMP = text(
    "SELECT (SELECT MAX(id) FROM notes), (SELECT MAX(id) FROM note_versions),"
    " (SELECT MAX(id) FROM incident_events),"
    " (SELECT COUNT(*) FROM hashtags WHERE canonical_id IS NOT NULL)"
)


def init_app(app: Flask) -> None:
    folder = Path(app.config["I2I_INSTANCE_DIR"]) / "results"
    folder.mkdir(parents=True, exist_ok=True)
    app.extensions["i2i_results"] = folder


def data_stamp() -> list:
    return [str(value) for value in db.session.execute(STAMP).one()]


def _path(kind: str, key: tuple) -> Path:
    folder: Path = current_app.extensions["i2i_results"]
    digest = hashlib.sha256(
        json.dumps([kind, key, data_stamp()], default=str).encode()
    ).hexdigest()[:32]
    return folder / f"{kind}-{digest}.json"


def peek(kind: str, key: tuple) -> dict | None:
    """The kept result of analysis `kind` for `key` if one is fresh, else None."""
    path = _path(kind, key)
    try:
        if time.time() - path.stat().st_mtime < MAX_AGE:
            return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        pass
    return None


def kept(kind: str, key: tuple, compute: Callable[[], dict]) -> dict:
    """The result of `compute()` for analysis `kind` and `key`, from a file when one is
    fresh, else computed and written (atomically: readers never see half a file)."""
    found = peek(kind, key)
    if found is not None:
        return found
    return json.loads(_write(kind, key, compute)[1])  # as a later read gives it back


def keep(kind: str, key: tuple, compute: Callable[[], dict]) -> str:
    """Compute and write the result of `kind` for `key`; returns the file's name, by
    which `read` finds it again (a job hands the name to the page that waits for it)."""
    return _write(kind, key, compute)[0].name


def _write(kind: str, key: tuple, compute: Callable[[], dict]) -> tuple[Path, str]:
    path = _path(kind, key)
    text = json.dumps(compute(), default=str)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as out:
        out.write(text)
    os.replace(out.name, path)
    _prune(path.parent)
    return path, text


def read(name: str) -> dict | None:
    """A kept result by the name `keep` gave (times as ISO strings); None once pruned."""
    if not RESULT_NAME.fullmatch(name or ""):
        return None
    try:
        return json.loads((current_app.extensions["i2i_results"] / name).read_text())
    except (FileNotFoundError, ValueError):
        return None


def forget(app: Flask) -> None:
    """Drop every kept result (the database was rebuilt: its ids start again)."""
    for path in app.extensions["i2i_results"].glob("*.json"):
        path.unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.json"), key=_age)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:  # pruned by another worker meanwhile
        return float("inf")
