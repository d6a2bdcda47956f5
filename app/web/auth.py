"""Signing in and out."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import login_required, login_user, logout_user

from app import accounts, follows
from app.extensions import limiter, login_manager
from app.models import MAX_ID, User
from app.web.forms import EmptyForm, LoginForm
from app.web.pages import render
from app.web.params import DIGITS, local_path

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """Runs on every signed-in request: the person and, in the same statement, what they
    follow (a home page needs it)."""
    if not DIGITS.fullmatch(user_id) or int(user_id) > MAX_ID:
        return None
    return follows.user_with_follows(int(user_id))


def _login_limit() -> str:
    return current_app.config["I2I_LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never send someone to another host after signing in."""
    return local_path(target) or url_for("feed.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=lambda: request.remote_addr or "local")
def login():
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(form.next.data))
        flash("That username and password do not match an account that can sign in.", "error")
        return render("auth/login.html", form=form, status=401)
    return render("auth/login.html", form=form, status=400 if form.errors else 200)


@bp.route("/logout", methods=["GET", "POST"])
@login_required
def logout():
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        logout_user()
        flash("You are signed out.", "info")
        return redirect(url_for("auth.login"))
    return render("auth/logout.html", form=form)
