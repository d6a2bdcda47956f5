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
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import text

from app.extensions import db

MAX_AGE = 120  # seconds
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


def kept(kind: str, key: tuple, compute: Callable[[], dict]) -> dict:
    """The result of `compute()` for analysis `kind` and `key`, from a file when one is
    fresh, else computed and written (atomically: readers never see half a file)."""
    folder: Path = current_app.extensions["i2i_results"]
    digest = hashlib.sha256(
        json.dumps([kind, key, data_stamp()], default=str).encode()
    ).hexdigest()[:32]
    path = folder / f"{kind}-{digest}.json"
    try:
        if time.time() - path.stat().st_mtime < MAX_AGE:
            return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        pass
    text = json.dumps(compute(), default=str)
    with tempfile.NamedTemporaryFile("w", dir=folder, suffix=".tmp", delete=False) as out:
        out.write(text)
    os.replace(out.name, path)
    _prune(folder)
    return json.loads(text)  # as a later read gives it back: times as ISO strings


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
