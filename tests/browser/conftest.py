"""A live I2I server on loopback and a real headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import jobs
from tests.conftest import BACKENDS, build_app, database_url, wipe

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("Debian's chromium is not installed; `make test` installs it.")
    return path


@pytest.fixture(scope="session", params=BACKENDS)
def live_app(request, tmp_path_factory):
    instance = tmp_path_factory.mktemp(f"browser-{request.param}")
    url = database_url(request, request.param, instance, "i2i_browser")
    app = build_app(url, instance, I2I_POLL_SECONDS=1)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    runner = jobs.Runner(app, tick=0.1)  # the background duties, as gunicorn runs them
    runner.start()
    yield app
    runner.stop()
    server.shutdown()


@pytest.fixture
def live(live_app) -> Iterator:
    wipe(live_app)
    with live_app.app_context():
        yield live_app


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live):
    """Open pages in fresh browser contexts (one per person); closes them afterwards."""
    contexts = []

    def open_page(width: int = 1100):
        context = browser.new_context(
            viewport={"width": width, "height": 900}, base_url=live.config["LIVE_URL"]
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page, username: str, password: str = "correct horse battery") -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations on the current page."""
    page.evaluate(AXE.read_text())  # evaluate() is not subject to the page's CSP
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
