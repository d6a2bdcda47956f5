"""Administration: accounts and roles, incident models. Every route checks the admin role
on the server."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from app import accounts, incidents
from app.models import ROLES
from app.web.forms import IncidentModelForm, NewUserForm, RoleForm, require_valid
from app.web.pages import render

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


@bp.route("/models", methods=["GET", "POST"])
@bp.route("/models/<int:model_id>", methods=["GET", "POST"])
@admin_required
def models(model_id: int | None = None):
    """Incident models: the list, and a form to add one (or change the one chosen)."""
    model = incidents.get_incident_model(model_id)
    form = IncidentModelForm(obj=model)
    if request.method == "POST":
        require_valid(form)
        saved = incidents.save_incident_model(
            current_user,
            model,
            name=form.name.data,
            service=form.service.data or None,
            category=form.category.data or None,
            subcategory=form.subcategory.data or None,
            impact=int(form.impact.data) if form.impact.data else None,
            urgency=int(form.urgency.data) if form.urgency.data else None,
            checklist=form.checklist.data,
            default_tags=form.default_tags.data,
        )
        flash(f"Saved the incident model {saved.name!r}.", "info")
        return redirect(url_for("admin.models"))
    if model is not None:
        form.impact.data = str(model.impact or "")
        form.urgency.data = str(model.urgency or "")
    return render("admin/models.html", models=incidents.incident_models(), form=form, model=model)
