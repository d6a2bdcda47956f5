"""I2I: incident to insight. The application factory and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: settings, extensions, blueprints, CLI. Touches no database."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=None,
    )
    from app.config import load_settings

    app.config.from_mapping(load_settings(test_config))
    app.instance_path = app.config["I2I_INSTANCE_DIR"]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from app import extensions, web
    from app.cli import register_cli

    extensions.init_app(app)
    web.register_blueprints(app)
    register_cli(app)
    return app
