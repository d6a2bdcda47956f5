"""The analysis package stays free of the web framework and of the app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return result.stdout.strip()


def test_importing_insights_loads_neither_flask_nor_app():
    loaded = run_python(
        "import sys, pkgutil, importlib, insights\n"
        "for m in pkgutil.walk_packages(insights.__path__, 'insights.'):\n"
        "    importlib.import_module(m.name)\n"
        "web = ('flask', 'app')\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in web))\n"
    )
    assert loaded == "[]"


def test_importing_wsgi_builds_no_app_and_loads_no_models():
    answer = run_python(
        "import sys, wsgi\n"
        "from flask.globals import _cv_app\n"
        "print(_cv_app.get(None) is None, hasattr(wsgi, 'app'), 'app.models' in sys.modules)\n"
    )
    assert answer == "True False False"
