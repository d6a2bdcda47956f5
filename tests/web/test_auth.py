"""Signing in and out over HTTP: hashed passwords, rate limits, roles checked on the server."""

from __future__ import annotations

from app.extensions import db
from app.models import User


def test_password_is_stored_hashed(make_user):
    sam = make_user("sam", password="correct horse battery")
    stored = db.session.get(User, sam.id).password_hash
    assert "correct horse" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_feed_needs_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.location


def test_sign_in_and_out(client, make_user):
    make_user("sam")
    client.login("sam")
    assert client.get("/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, make_user):
    make_user("sam")
    response = client.post("/login", {"username": "sam", "password": "nope nope nope"})
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)


def test_imported_account_without_password_cannot_sign_in(client, ctx):
    from app import accounts

    accounts.create_user("importer", role="responder")
    response = client.post("/login", {"username": "importer", "password": ""})
    assert response.status_code in (400, 401)


def test_login_attempts_are_rate_limited_with_a_clear_message(client, make_user):
    make_user("sam")
    for _ in range(5):
        assert (
            client.post("/login", {"username": "sam", "password": "wrong-password"}).status_code
            == 401
        )
    response = client.post("/login", {"username": "sam", "password": "correct horse battery"})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_next_parameter_never_leaves_the_site(client, make_user):
    make_user("sam")
    response = client.post(
        "/login",
        {"username": "sam", "password": "correct horse battery", "next": "//evil.example/x"},
    )
    assert response.location == "/"


def test_admin_pages_refuse_other_roles(client, make_user):
    for role in ("responder", "designer", "researcher", "manager"):
        make_user(role, role=role)
    make_user("ada", role="admin")
    for role in ("responder", "designer", "researcher", "manager"):
        client.login(role)
        assert client.get("/admin/users").status_code == 403
        response = client.post("/admin/users/ada/role", {"role": "responder"})
        assert response.status_code == 403
        client.post("/logout")
    assert db.session.scalar(db.select(User.role).where(User.username == "ada")) == "admin"


def test_admin_changes_roles_and_creates_accounts(client, make_user):
    make_user("ada", role="admin")
    make_user("sam")
    client.login("ada")
    assert client.post("/admin/users/sam/role", {"role": "manager"}).status_code == 302
    response = client.post(
        "/admin/users", {"username": "new.person", "role": "designer", "password": "long enough pw"}
    )
    assert response.status_code == 302
    roles = dict(db.session.execute(db.select(User.username, User.role)).all())
    assert roles["sam"] == "manager" and roles["new.person"] == "designer"


def test_last_admin_cannot_demote_themself(client, make_user):
    make_user("ada", role="admin")
    client.login("ada")
    response = client.post("/admin/users/ada/role", {"role": "responder"})
    assert response.status_code == 400 and "last admin" in response.get_data(as_text=True)


def test_duplicate_or_invalid_username_is_refused_over_http(client, make_user):
    make_user("ada", role="admin")
    client.login("ada")
    assert (
        client.post(
            "/admin/users", {"username": "ada", "role": "responder", "password": "long enough pw"}
        ).status_code
        == 409
    )
    response = client.post(
        "/admin/users", {"username": "Bad Name!", "role": "responder", "password": "long enough pw"}
    )
    assert response.status_code == 400 and "2–30 characters" in response.get_data(as_text=True)
