"""Administration: accounts and roles. Every route checks the admin role on the server."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required

from app import accounts
from app.models import ROLES
from app.web import render
from app.web.forms import NewUserForm, RoleForm, require_valid

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.role != "admin":
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/users")
@admin_required
def users():
    return render(
        "admin/users.html",
        users=accounts.all_users(),
        form=NewUserForm(),
        roles=ROLES,
        role_form=RoleForm(),
    )


@bp.post("/users")
@admin_required
def create_user():
    form = require_valid(NewUserForm())
    user = accounts.create_user(
        form.username.data.strip(),
        role=form.role.data,
        password=form.password.data,
        display_name=form.display_name.data,
    )
    flash(f"Created @{user.username} ({user.role}).", "info")
    return redirect(url_for("admin.users"))


@bp.post("/users/<username>/role")
@admin_required
def change_role(username: str):
    form = require_valid(RoleForm(), "Choose one of the roles.")
    accounts.change_role(current_user, accounts.get_user(username), form.role.data)
    flash(f"@{username} is now {form.role.data}.", "info")
    return redirect(url_for("admin.users"))
