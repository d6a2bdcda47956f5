"""Forms (Flask-WTF: validation and the CSRF token) for every state-changing page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import DateTimeLocalField, SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.errors import Refused
from app.models import MAX_ID, MEMBER_ROLES, ROLES
from app.notes import MAX_LENGTH


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=30)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class NoteForm(FlaskForm):
    # Length is checked by the domain (after line endings are unified), not here.
    text = TextAreaField("Note", validators=[Length(max=MAX_LENGTH * 4)])
    occurred_at = DateTimeLocalField(
        "Occurred at", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    # Minutes east of UTC, filled in by the browser; without JavaScript times are UTC.
    tz_offset = IntegerField(validators=[Optional(), NumberRange(-14 * 60, 14 * 60)])
    reply_to = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID)])


class EditForm(FlaskForm):
    text = TextAreaField("Note", validators=[Length(max=MAX_LENGTH * 4)])


class EmptyForm(FlaskForm):
    """Buttons that change something (follow, retract, mark read) still carry a CSRF token."""


class AliasForm(FlaskForm):
    target = StringField("Canonical tag", validators=[DataRequired(), Length(max=200)])


class DescriptionForm(FlaskForm):
    description = TextAreaField("Description", validators=[Length(max=1000)])


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=list(ROLES))


class NewUserForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=30)])
    display_name = StringField("Display name", validators=[Optional(), Length(max=80)])
    role = SelectField("Role", choices=list(ROLES))
    password = PasswordField("Password", validators=[DataRequired(), Length(min=8, max=200)])


def require_valid(form: FlaskForm, message: str | None = None) -> FlaskForm:
    """Validate a posted form, or refuse the request saying what is wrong (nothing changes)."""
    if not form.validate():
        details = " ".join(
            f"{form[name].label.text}: {'; '.join(errors)}" for name, errors in form.errors.items()
        )
        raise Refused(message or details)
    return form


class IncidentForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    service = StringField("Service", validators=[Optional(), Length(max=120)])
    category = StringField("Category", validators=[Optional(), Length(max=120)])
    subcategory = StringField("Subcategory", validators=[Optional(), Length(max=120)])
    impact = SelectField("Impact", choices=["1", "2", "3"], default="3")
    urgency = SelectField("Urgency", choices=["1", "2", "3"], default="3")
    assignment_group = StringField("Assignment group", validators=[Optional(), Length(max=120)])
    owner = StringField("Owner (username; you if empty)", validators=[Optional(), Length(max=31)])
    model = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID)])
    restricted = BooleanField("Restricted (security): only its team and admins see it")

    def fill_from(self, model) -> None:
        """Pre-fill the fields an incident model sets (what `?model=` shows)."""
        self.model.data = model.id
        for name in ("service", "category", "subcategory"):
            getattr(self, name).data = getattr(model, name)
        for name in ("impact", "urgency"):
            if getattr(model, name):
                getattr(self, name).data = str(getattr(model, name))


SCALE_OR_NONE = [SelectChoice("", "—"), *(SelectChoice(v) for v in ("1", "2", "3"))]


class IncidentModelForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    service = StringField("Service", validators=[Optional(), Length(max=120)])
    category = StringField("Category", validators=[Optional(), Length(max=120)])
    subcategory = StringField("Subcategory", validators=[Optional(), Length(max=120)])
    impact = SelectField("Impact", choices=SCALE_OR_NONE, default="")
    urgency = SelectField("Urgency", choices=SCALE_OR_NONE, default="")
    checklist = TextAreaField("Checklist, one step a line", validators=[Length(max=10000)])
    default_tags = StringField("Default tags", validators=[Optional(), Length(max=500)])


class MemberForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=31)])
    role = SelectField("Role", choices=list(MEMBER_ROLES), default="member")


class MoveForm(FlaskForm):
    status = StringField(validators=[DataRequired(), Length(max=20)])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=2000)])
    resolution_code = StringField("Resolution code", validators=[Optional(), Length(max=80)])
    resolution_notes = TextAreaField("Resolution notes", validators=[Optional(), Length(max=5000)])
    with_children = BooleanField("Also resolve its open child incidents")


SCALE = [SelectChoice(1, "1 high"), SelectChoice(2, "2 medium"), SelectChoice(3, "3 low")]


class PriorityForm(FlaskForm):
    impact = SelectField("Impact", choices=SCALE, coerce=int)
    urgency = SelectField("Urgency", choices=SCALE, coerce=int)


class AssignForm(FlaskForm):
    owner = StringField("Owner", validators=[DataRequired(), Length(max=31)])


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=80)])


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    new = PasswordField("New password", validators=[DataRequired(), Length(min=8, max=200)])
    again = PasswordField(
        "New password again", validators=[EqualTo("new", "The two new passwords differ.")]
    )


class PreferencesForm(FlaskForm):
    """Choices are filled in by the view from the domain (time zones, themes, kinds)."""

    time_zone = SelectField("Time zone")
    theme = SelectField("Theme")
    muted = SelectMultipleField(
        "Do not notify me about",
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
