"""A person's settings: display name, password, time zone, theme, muted notifications, and
the choices pages remember (an incident's timeline order)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from app import accounts, notifications
from app.web.forms import EmptyForm, PasswordForm, PreferencesForm, ProfileForm, require_valid
from app.web.pages import render
from app.web.params import local_path

bp = Blueprint("settings", __name__, url_prefix="/settings")

THEME_LABELS = {"auto": "As the system is set", "light": "Light", "dark": "Dark"}


def preferences_form(**values) -> PreferencesForm:
    """The preferences form with its choices: every time zone, the themes, every kind of
    notification I2I names."""
    form = PreferencesForm(**values)
    form.time_zone.choices = sorted(accounts.time_zones())
    form.theme.choices = [(t, THEME_LABELS[t]) for t in accounts.THEMES]
    form.muted.choices = list(notifications.KIND_LABELS.items())
    return form


@bp.get("")
@login_required
def index():
    chosen = accounts.preferences(current_user)
    return render(
        "settings/index.html",
        profile=ProfileForm(display_name=current_user.display_name),
        password=PasswordForm(),
        preferences=preferences_form(
            time_zone=chosen.time_zone, theme=chosen.theme, muted=sorted(chosen.muted)
        ),
        title="Settings",
    )


@bp.post("/profile")
@login_required
def profile():
    form = require_valid(ProfileForm())
    accounts.rename(current_user, form.display_name.data)
    flash("Your display name is saved.", "info")
    return redirect(url_for("settings.index"))


@bp.post("/password")
@login_required
def password():
    form = require_valid(PasswordForm())
    accounts.change_password(current_user, form.current.data, form.new.data)
    flash("Your password is changed.", "info")
    return redirect(url_for("settings.index"))


@bp.post("/preferences")
@login_required
def preferences():
    form = require_valid(preferences_form(), "Choose a time zone and a theme from the lists.")
    accounts.set_preferences(
        current_user, time_zone=form.time_zone.data, theme=form.theme.data, muted=form.muted.data
    )
    flash("Your preferences are saved.", "info")
    return redirect(url_for("settings.index"))


@bp.post("/timeline-order")
@login_required
def timeline_order():
    """Newest or oldest first on incident timelines, remembered for the person."""
    require_valid(EmptyForm())
    accounts.set_preferences(current_user, timeline_order=request.form.get("order", "")[:10])
    return redirect(local_path(request.form.get("next")) or url_for("incidents.index"))
