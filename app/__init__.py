"""I2I: incident to insight. The application factory and nothing else.

Importing the package loads nothing: the factory imports the web shell when it builds an
app. So the plain-data modules (`app.itil`, `app.clock`, `app.intake.simulate`) load
without Flask or SQLAlchemy, and importing `wsgi` builds nothing (both tested).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: settings, extensions, blueprints, CLI. Touches no database.
    (Under `flask run` it also starts the background duties, as gunicorn's workers do.)"""
    from flask import Flask

    from app import analysis, database, extensions, jobs, live, queue, reports, results, search, web
    from app.cli import register_cli
    from app.config import ROOT, load_settings

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=None,
    )
    app.config.from_mapping(load_settings(test_config))
    app.instance_path = app.config["I2I_INSTANCE_DIR"]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    extensions.init_app(app)
    database.init_app(app)
    search.init_app(app)
    results.init_app(app)
    queue.init_app(app, runners={"analysis": analysis.run_job, "report": reports.run_job})
    live.init_app(app)
    web.register_blueprints(app)
    register_cli(app)
    jobs.start_under_flask_run(app)
    return app
