"""Security properties that hold across the whole app, checked route by route."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Note

# Routes that authenticate another way (bearer tokens) and so take no CSRF token.
CSRF_EXEMPT = {"hooks.alertmanager"}
SAMPLE_VALUES = {
    "note_id": "1",
    "name": "sso",
    "username": "sam",
    "number": "INC0000001",
    "item_id": "1",
    "model_id": "1",
    "job_id": "1",
    "definition_id": "1",
    "insight_id": "1",
    "request_id": "1",
    "action_id": "1",
}


def state_changing_routes(app):
    for rule in app.url_map.iter_rules():
        methods = rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if methods and rule.endpoint not in CSRF_EXEMPT:
            url = rule.rule
            for argument in rule.arguments:
                url = url.replace(f"<int:{argument}>", SAMPLE_VALUES[argument]).replace(
                    f"<{argument}>", SAMPLE_VALUES[argument]
                )
            yield rule.endpoint, url, methods


def test_every_state_changing_route_refuses_a_request_without_csrf_token(client, make_user, post):
    make_user("ada", role="admin")
    sam = make_user("sam")
    post(sam, "a note #sso")
    client.login("ada")
    routes = list(state_changing_routes(client.http.application))
    assert len(routes) >= 10, routes
    for endpoint, url, methods in routes:
        for method in methods:
            for htmx in (False, True):
                headers = {"HX-Request": "true"} if htmx else {}
                response = client.open(
                    url, method=method, headers=headers, data={"text": "x", "role": "responder"}
                )
                assert response.status_code == 400, (endpoint, method, htmx, response.status_code)
                assert "expired or was sent from elsewhere" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Note)) == 1


def test_a_token_from_another_session_is_refused(client, other_client, make_user):
    make_user("sam")
    make_user("lee")
    client.login("sam")
    other_client.login("lee")
    response = client.open(
        "/notes", method="POST", data={"text": "x", "csrf_token": other_client.token}
    )
    assert response.status_code == 400


def test_pages_send_a_strict_content_security_policy_and_no_inline_script(client, make_user):
    make_user("sam")
    client.login("sam")
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " on" + "click=" not in html
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    make_user("sam")
    response = client.post("/login", {"username": "sam", "password": "correct horse battery"})
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and "session=" in v)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_flag_is_configurable(monkeypatch, tmp_path):
    from app.config import load_settings

    monkeypatch.setenv("I2I_SECURE_COOKIES", "true")
    settings = load_settings({"I2I_INSTANCE_DIR": str(tmp_path)})
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    from app.config import ConfigError, load_settings

    monkeypatch.setenv("I2I_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"I2I_INSTANCE_DIR": str(tmp_path)})


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "javascript:alert(1)",
        'https://x.org/"><svg onload=alert(1)>',
        "\u202egnp.exe\u202c #tag",
        "zero\u200bwidth\u200d joiner #tag",
        "' OR 1=1; DROP TABLE notes; --",
    ],
)
def test_hostile_text_round_trips_and_renders_inert(client, make_user, hostile):
    make_user("sam")
    client.login("sam")
    assert client.post("/notes", {"text": hostile}).status_code == 302
    stored = db.session.scalar(select(Note.text).order_by(Note.id.desc()).limit(1))
    assert stored == hostile
    html = client.get("/").get_data(as_text=True)
    body = html.split('<div id="feed-list"')[1]
    assert "<script" not in body and "<img" not in body and "<svg" not in body
