"""Screenshots of the pages a responder works in, desktop and phone, into docs/screens/.

One command: `make screens` (or `.venv/bin/python bench/screens.py [--out DIR]`).

It builds the demo organisation in a throw-away instance, adds a scene that is live now
(a P1 incident three hours old, at risk of breaching its resolve-by time, with notes,
a reply, a mention and changes; a few notifications for sam), serves I2I on loopback
with the background duties on (the search index writer), and has Debian's Chromium
(driven by Playwright, as the browser tests do) sign in as sam and photograph the
incident page, the home feed, the incident list, a search and the notifications, then sign in
as rui and photograph a report (made of the last 30 days), the insight board and the
trends, at 1280 × 800 and 390 × 844. Each picture is the top of the page, at most 2,000 px
of it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
TALLEST = 2000


def build(instance: Path):
    from flask_migrate import upgrade

    from app import create_app
    from app.intake import demo
    from app.search import index

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'i2i.sqlite'}",
            "I2I_INSTANCE_DIR": str(instance),
            "SECRET_KEY": "screens",
        }
    )
    with app.app_context():
        upgrade()
        demo.build_demo(notes=3000, seed=7, days=42, instance_dir=instance)
        number = scene()
        index.rebuild()
        app.config["SCREENS_REPORT"] = insight_wing(app)
    return app, number


def insight_wing(app) -> int:
    """rui's report of the last 30 days (run here, as the queue's consumer would) and its
    strongest tag pair promoted to the insight board; returns the report's job id."""
    from app import accounts, board, queue, reports
    from app.clock import utcnow
    from app.extensions import db

    rui = accounts.get_user("rui")
    today = utcnow().date()
    params = reports.report_params(
        first=(today - timedelta(days=30)).isoformat(), last=today.isoformat(), title="Last 30 days"
    )
    job = reports.start(rui, params)
    db.session.commit()  # end this session's transaction: the job writes from its own
    queue.drain(app)
    db.session.expire_all()  # the job ran in a session of its own
    document = reports.document_of(rui, job.id)
    pair = next((p for p in document["patterns"] if p["kind"] == "pair"), None)
    if pair is not None:
        board.promote_from_report(rui, job.id, pair["key"])
    return job.id


def scene() -> str:
    """A P1 incident being worked now, seen by sam, with something in sam's inbox."""
    from app import accounts, follows, incidents
    from app.clock import utcnow
    from app.extensions import db
    from app.notes import post_note

    sam, lee, kim, maria = (accounts.get_user(n) for n in ("sam", "lee", "kim", "maria"))
    incident = incidents.register(
        maria,
        title="Ward tablets cannot open patient records",
        description="Since 07:40 the EPR app on ward tablets spins on the record view.",
        service="Patient Records",
        impact=1,
        urgency=1,
        owner=sam,
        assignment_group="Clinical apps",
    )
    incident.registered_at = utcnow() - timedelta(hours=3, minutes=10)
    db.session.commit()
    incidents.acknowledge(sam, incident)
    incidents.add_member(sam, incident, lee, "scribe")
    incidents.add_member(sam, incident, kim, "member")
    follows.follow(sam, "incident", incident.id)
    first = post_note(
        lee, "Tablets on wards 3 and 5 spin on the record view #epr_timeout", incident=incident
    )
    post_note(kim, "Wi-Fi is fine, the API answers in 9 s #epr_timeout", incident=incident)
    post_note(sam, "token service restarted at 09:12, no change @lee", reply_to=first)
    post_note(maria, f"@sam status page updated for {incident.number} #comms", incident=incident)
    post_note(lee, "rolling back last night's gateway config #change", incident=incident)
    incidents.set_workaround(sam, incident, "Use the desktop viewer at the nurses' station.")
    return incident.number


def serve(app):
    from werkzeug.serving import make_server

    from app import jobs

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    runner = jobs.Runner(app, tick=0.2)
    runner.start()
    return server, runner, f"http://127.0.0.1:{server.server_port}"


def photograph(base: str, number: str, out: Path, report: int) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, chromium_path

    pages = {
        "incident": f"/incidents/{number}",
        "feed": "/",
        "incidents": "/incidents",
        "search": "/search?q=vpn",
        "notifications": "/notifications",
    }
    wing = {"report": f"/reports/{report}", "board": "/insights/board", "trends": "/trends"}
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for size, (width, height), who, shown in [
            (size, dims, who, shown)
            for size, dims in SIZES.items()
            for who, shown in (("sam", pages), ("rui", wing))
        ]:
            context = browser.new_context(
                viewport={"width": width, "height": height}, base_url=base
            )
            page = context.new_page()
            page.goto("/login")
            page.fill("#username", who)
            page.fill("#password", "incident-to-insight")
            page.click("button[type=submit]")
            page.wait_for_url("**/")
            for name, path in shown.items():
                page.goto(path)
                page.wait_for_load_state("networkidle")
                page.evaluate("document.activeElement && document.activeElement.blur()")
                tall = page.evaluate("document.documentElement.scrollHeight")
                target = out / f"{name}-{size}.png"
                page.screenshot(
                    path=str(target),
                    full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": min(tall, TALLEST)},
                )
                written.append(target)
            context.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    instance = Path(tempfile.mkdtemp(prefix="i2i-screens-"))
    try:
        app, number = build(instance)
        server, runner, base = serve(app)
        try:
            for path in photograph(base, number, args.out, app.config["SCREENS_REPORT"]):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            runner.stop()
            server.shutdown()
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
