"""Full-text search over notes: the query language, the index and its one writer."""

from __future__ import annotations

from flask import Flask

from app.search import engine


def init_app(app: Flask) -> None:
    """Size the per-process cache of term arrays (`I2I_SEARCH_CACHE_MB`)."""
    engine.configure(app.config["I2I_SEARCH_CACHE_MB"])
