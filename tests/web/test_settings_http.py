"""A person's settings (display name, password with the current one, time zone, theme,
muted kinds of notification) and a person's page that says what they work on."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from app import accounts, incidents
from app.extensions import db
from app.models import Notification, User


@pytest.fixture
def sam(client, make_user):
    user = make_user("sam", display_name="Sam")
    client.login("sam")
    return user


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_the_settings_page_shows_every_choice(client, sam):
    page = client.get("/settings").get_data(as_text=True)
    for field in ('id="display_name"', 'id="current"', 'id="time_zone"', 'id="theme"'):
        assert field in page
    assert '<option selected value="UTC">UTC</option>' in page
    assert "Europe/Amsterdam" in page and ">Mentions</label>" in page
    assert page.count('name="csrf_token"') >= 3


def test_a_display_name_is_changed(client, sam, post):
    response = client.post("/settings/profile", {"display_name": "  Sam   Singh <b> "})
    assert response.status_code == 302
    assert reload(sam).display_name == "Sam Singh <b>"
    post(sam, "hello")
    assert "<bdi>Sam Singh &lt;b&gt;</bdi>" in client.get("/all").get_data(as_text=True)
    assert client.post("/settings/profile", {"display_name": "x" * 81}).status_code == 400
    assert client.post("/settings/profile", {"display_name": "   "}).status_code == 400


def test_a_password_change_needs_the_current_one(client, sam):
    wrong = {"current": "guess", "new": "a new long secret", "again": "a new long secret"}
    response = client.post("/settings/password", wrong)
    assert response.status_code == 400 and "current password is not right" in response.get_data(
        as_text=True
    )
    differ = {"current": "correct horse battery", "new": "a new long secret", "again": "other"}
    assert client.post("/settings/password", differ).status_code == 400
    short = {"current": "correct horse battery", "new": "short", "again": "short"}
    assert client.post("/settings/password", short).status_code == 400
    assert accounts.authenticate("sam", "correct horse battery") is not None
    right = {
        "current": "correct horse battery",
        "new": "a new long secret",
        "again": "a new long secret",
    }
    assert client.post("/settings/password", right).status_code == 302
    assert accounts.authenticate("sam", "a new long secret") is not None
    assert accounts.authenticate("sam", "correct horse battery") is None


def test_a_time_zone_shows_times_in_it(client, sam, post):
    post(sam, "at noon", occurred_at=datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    assert "1 Jul 2026, 12:00 UTC" in client.get("/all").get_data(as_text=True)
    form = {"time_zone": "Europe/Amsterdam", "theme": "auto"}
    assert client.post("/settings/preferences", form).status_code == 302
    page = client.get("/all").get_data(as_text=True)
    assert "1 Jul 2026, 14:00 CEST" in page and "12:00 UTC" not in page
    assert 'datetime="2026-07-01T12:00:00+00:00"' in page  # machines still read UTC


def test_a_theme_is_kept_and_odd_choices_are_refused(client, sam):
    assert "data-theme" not in client.get("/").get_data(as_text=True).split(">")[1]
    client.post("/settings/preferences", {"time_zone": "UTC", "theme": "dark"})
    assert '<html lang="en" data-theme="dark">' in client.get("/").get_data(as_text=True)
    for form in (
        {"time_zone": "Mars/Olympus", "theme": "auto"},
        {"time_zone": "UTC", "theme": "neon"},
        {"time_zone": "UTC", "theme": "auto", "muted": "bogus"},
        {"time_zone": "x" * 10_000, "theme": "auto"},
    ):
        assert client.post("/settings/preferences", form).status_code == 400
    assert accounts.preferences(reload(sam)).theme == "dark"


def test_a_muted_kind_is_not_notified(client, sam, post, make_user):
    lee = make_user("lee")
    form = {"time_zone": "UTC", "theme": "auto", "muted": ["mention"]}
    assert client.post("/settings/preferences", form).status_code == 302
    post(lee, "@sam are you there?")
    mine = post(sam, "need eyes")
    post(lee, "yes", reply_to=mine)
    kinds = [n.kind for n in db.session.query(Notification).filter_by(user_id=sam.id)]
    assert kinds == ["reply"] and reload(sam).unread_count == 1
    page = client.get("/settings").get_data(as_text=True)
    assert re.search(
        r'<input checked id="muted-0" name="muted" type="checkbox" value="mention">', page
    )


def test_a_muted_sla_warning_is_not_sent(ctx, make_user):
    from datetime import timedelta

    from app.clock import utcnow

    sam = make_user("sam")
    accounts.set_preferences(sam, muted=["sla_respond", "sla_resolve"])
    incident = incidents.register(sam, title="EPR down", impact=1, urgency=1)
    incident.registered_at = utcnow() - timedelta(minutes=13)
    db.session.commit()
    assert incidents.warn_sla() == 0


def test_a_persons_page_says_what_they_work_on(client, sam, make_user, post):
    lee = make_user("lee")
    owned = incidents.register(lee, title="Mail queue stuck", impact=1, urgency=1)
    joined = incidents.register(sam, title="Badge readers dark")
    incidents.add_member(sam, joined, lee)
    secret = incidents.register(lee, title="Payroll phishing", restricted=True)
    done = incidents.register(lee, title="Old printer")
    incidents.move(lee, done, "cancelled")
    incidents.register(sam, title="Not theirs")
    post(lee, "queue at 40k #mail", incident=owned)
    page = client.get("/u/lee").get_data(as_text=True)
    works = page.split('id="their-incidents-title"')[1].split("</section>")[0]
    listed = re.findall(r'class="incident-ref">(INC\d+)<', works)
    assert listed == [joined.number, owned.number, done.number]  # open first, newest first
    assert secret.number not in page and "Not theirs" not in works
    assert "status-new" in works and "prio-1" in works and "owner" in works
    assert "#mail" in page and "queue at 40k" in page  # their tags and recent notes
