# mypy: disallow-subclassing-any=False
# (wtforms and flask-wtf ship without type hints; their base classes are Any to mypy)
"""Forms of the administration pages: sessions, departments, representatives, absences, users.

CSRF on every form; labels and messages are lazy, so they follow the language of the request
that renders them; messages say what to fix."""

from __future__ import annotations

from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SubmitField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from booking.web.forms.fields import (
    Email,
    LineField,
    MultiCheckboxField,
    RowForm,
    TextField,
    options,
)


class CancelSessionForm(RowForm):
    reason = LineField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Give the reason the session is cancelled.")),
            Length(max=300, message=_l("Use at most %(max)d characters.")),
        ],
    )
    submit = SubmitField(_l("Cancel the session"))


class ExtraSessionForm(FlaskForm):
    forum = SelectField(_l("Forum"), validators=[DataRequired()])
    day = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date as YYYY-MM-DD."))])
    start_time = TimeField(
        _l("Starts"),
        default=time(13, 0),
        validators=[InputRequired(_l("Enter the start time as HH:MM."))],
    )
    end_time = TimeField(
        _l("Ends"),
        default=time(16, 30),
        validators=[InputRequired(_l("Enter the end time as HH:MM."))],
    )
    meeting_minutes = IntegerField(
        _l("Meeting length (minutes)"),
        default=60,
        validators=[
            InputRequired(_l("Enter the meeting length in minutes.")),
            NumberRange(15, 240, _l("Use between %(min)s and %(max)s minutes.")),
        ],
    )
    buffer_minutes = IntegerField(
        _l("Break between meetings (minutes)"),
        default=15,
        validators=[
            InputRequired(_l("Enter the break in minutes (0 for none).")),
            NumberRange(0, 120, _l("Use between %(min)s and %(max)s minutes.")),
        ],
    )
    submit = SubmitField(_l("Add the session"))


class DepartmentForm(FlaskForm):
    name = LineField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the department's name.")), Length(max=200)],
    )
    slug = LineField(
        _l("Short name (in links)"),
        validators=[
            DataRequired(_l("Enter a short name of lower-case letters, digits and hyphens.")),
            Length(max=64),
        ],
    )
    kind = SelectField(
        _l("Kind"),
        choices=options(
            [
                ("department", _l("Department")),
                ("joint_office", _l("Joint office")),
                ("municipal_company", _l("Municipal company")),
                ("external", _l("External authority")),
            ]
        ),
    )
    email = EmailField(
        _l("Functional mailbox"),
        validators=[Optional(), Email(_l("Enter a valid e-mail address.")), Length(max=320)],
    )
    areas = LineField(
        _l("Responsibility areas (comma-separated)"), validators=[Optional(), Length(max=1000)]
    )
    capacity_per_session = IntegerField(
        _l("Meetings per forum afternoon"),
        default=4,
        validators=[
            InputRequired(_l("Enter how many meetings the department can staff.")),
            NumberRange(1, 20, _l("Use a number between %(min)s and %(max)s.")),
        ],
    )
    forums = MultiCheckboxField(_l("Forums"), coerce=int)
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class RepresentativeForm(FlaskForm):
    name = LineField(
        _l("Name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=200)]
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter the e-mail address invitations go to.")),
            Email(_l("Enter a valid e-mail address.")),
            Length(max=320),
        ],
    )
    department_id = SelectField(_l("Department"), coerce=int)
    is_deputy = BooleanField(_l("Deputy (steps in when someone declines)"))
    active = BooleanField(_l("Active"), default=True)
    user_id = SelectField(_l("Login"), coerce=int)
    submit = SubmitField(_l("Save"))


class AbsenceForm(FlaskForm):
    start_date = DateField(
        _l("From"), validators=[InputRequired(_l("Enter the first day as YYYY-MM-DD."))]
    )
    end_date = DateField(
        _l("To and including"),
        validators=[InputRequired(_l("Enter the last day as YYYY-MM-DD."))],
    )
    reason = LineField(_l("Reason (optional)"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Add absence"))


ROLE_CHOICES = options(
    [
        ("coordinator", _l("Coordinator")),
        ("representative", _l("Representative")),
        ("viewer", _l("Viewer")),
        ("receiver", _l("Receiver (passes contacts on)")),
        ("admin", _l("Administrator")),
    ]
)


class UserForm(FlaskForm):
    name = LineField(
        _l("Name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=200)]
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter the e-mail address used to log in.")),
            Email(_l("Enter a valid e-mail address.")),
            Length(max=320),
        ],
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    password = PasswordField(
        _l("New password"),
        validators=[
            Optional(),
            Length(min=10, max=200, message=_l("The password must be at least 10 characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


# ---------------------------------------------------------------- forum setup (issue 15)

WEEKDAY_CHOICES = [
    (0, _l("Monday")),
    (1, _l("Tuesday")),
    (2, _l("Wednesday")),
    (3, _l("Thursday")),
    (4, _l("Friday")),
]


class ForumForm(FlaskForm):
    name = LineField(
        _l("Name"), validators=[DataRequired(_l("Give the forum a name.")), Length(max=200)]
    )
    slug = LineField(
        _l("Address name"),
        validators=[DataRequired(_l("Give the address name, e.g. orsa.")), Length(max=64)],
    )
    municipality = LineField(
        _l("Municipality"),
        validators=[DataRequired(_l("Name the municipality.")), Length(max=200)],
    )
    location = LineField(_l("Where the forum meets"), validators=[Optional(), Length(max=300)])
    organizer_email = EmailField(
        _l("Organizer address (invitations come from it)"),
        validators=[Optional(), Email(_l("Enter a valid e-mail address."))],
    )
    timezone = LineField(_l("Time zone"), default="Europe/Stockholm", validators=[Length(max=64)])
    contact_text = TextField(
        _l("Contact (shown on the forum's pages)"), validators=[Optional(), Length(max=2000)]
    )
    submit = SubmitField(_l("Save"))


class SeriesForm(FlaskForm):
    name = LineField(_l("Name (optional)"), validators=[Optional(), Length(max=200)])
    weekday = SelectField(_l("Weekday"), coerce=int, choices=options(WEEKDAY_CHOICES), default=1)
    anchor_date = DateField(
        _l("First afternoon (anchor date)"),
        validators=[InputRequired(_l("Enter the first afternoon as YYYY-MM-DD."))],
    )
    every_weeks = IntegerField(
        _l("Every how many weeks"),
        default=2,
        validators=[
            InputRequired(_l("Enter how many weeks apart, 2 for every other week.")),
            NumberRange(1, 8, _l("Use between %(min)s and %(max)s weeks.")),
        ],
    )
    start_time = TimeField(
        _l("Starts"),
        default=time(13, 0),
        validators=[InputRequired(_l("Enter the start time as HH:MM."))],
    )
    end_time = TimeField(
        _l("Ends"),
        default=time(17, 0),
        validators=[InputRequired(_l("Enter the end time as HH:MM."))],
    )
    meeting_minutes = IntegerField(
        _l("Meeting length (minutes)"),
        default=60,
        validators=[
            InputRequired(_l("Enter the meeting length in minutes.")),
            NumberRange(5, 480, _l("Use between %(min)s and %(max)s minutes.")),
        ],
    )
    buffer_minutes = IntegerField(
        _l("Break between meetings (minutes)"),
        default=15,
        validators=[
            InputRequired(_l("Enter the break in minutes (0 for none).")),
            NumberRange(0, 120, _l("Use between %(min)s and %(max)s minutes.")),
        ],
    )
    active = BooleanField(_l("Active"), default=True)
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Save"))


class PauseForm(FlaskForm):
    reason = LineField(
        _l("Reason (e.g. sportlov, jul)"),
        validators=[DataRequired(_l("Name the pause, e.g. sommar.")), Length(max=200)],
    )
    start_date = DateField(
        _l("From"), validators=[InputRequired(_l("Enter the first day as YYYY-MM-DD."))]
    )
    end_date = DateField(
        _l("To (inclusive)"), validators=[InputRequired(_l("Enter the last day as YYYY-MM-DD."))]
    )
    yearly = BooleanField(_l("Every year on these dates"))
    submit = SubmitField(_l("Add the pause"))


class SetupForm(FlaskForm):
    admin_name = LineField(
        _l("Your name"), validators=[DataRequired(_l("Give your name.")), Length(max=200)]
    )
    admin_email = EmailField(
        _l("Your e-mail (your login)"),
        validators=[
            DataRequired(_l("Give your e-mail address.")),
            Email(_l("Enter a valid e-mail address.")),
        ],
    )
    password = PasswordField(
        _l("Password (10 characters or more)"),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(min=10, message=_l("Use at least %(min)d characters.")),
        ],
    )
    forum_name = LineField(
        _l("Forum name"), validators=[DataRequired(_l("Give the forum a name.")), Length(max=200)]
    )
    forum_slug = LineField(
        _l("Address name"),
        validators=[DataRequired(_l("Give the address name, e.g. orsa.")), Length(max=64)],
    )
    municipality = LineField(
        _l("Municipality"),
        validators=[DataRequired(_l("Name the municipality.")), Length(max=200)],
    )
    submit = SubmitField(_l("Set up the service"))


class AuditFilterForm(FlaskForm):
    """The audit log's filters (GET, no CSRF: it changes nothing)."""

    actor = LineField(_l("Who (e-mail or part of it)"), validators=[Optional(), Length(max=320)])
    entity_type = SelectField(_l("What"), validate_choice=False, validators=[Optional()])
    action = SelectField(_l("Action"), validate_choice=False, validators=[Optional()])
    case = LineField(_l("Case (id or reference)"), validators=[Optional(), Length(max=64)])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To (inclusive)"), validators=[Optional()])


class SsoRuleForm(FlaskForm):
    """A single sign-on role rule: "group X → role" or "e-mail domain Y → role"."""

    kind = SelectField(
        _l("Matches"),
        choices=options(
            [("group", _l("Group at the identity provider")), ("email_domain", _l("E-mail domain"))]
        ),
        validators=[DataRequired(_l("Choose what the rule matches."))],
    )
    value = LineField(
        _l("Group or e-mail domain"),
        validators=[
            DataRequired(_l("Enter the group (as the identity provider names it) or the domain.")),
            Length(max=320, message=_l("Use at most %(max)d characters.")),
        ],
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    submit = SubmitField(_l("Add the rule"))


class RoutingRuleForm(FlaskForm):
    """A routing rule: a category or a question the business ticks → a department."""

    match = SelectField(
        _l("When the request"), validators=[DataRequired(_l("Choose a category or a question."))]
    )
    department_id = SelectField(
        _l("Suggest the department"),
        coerce=int,
        validators=[DataRequired(_l("Choose a department."))],
    )
    submit = SubmitField(_l("Add the rule"))


class EvaluationForm(FlaskForm):
    """The button that makes a coming afternoon the term's evaluation meeting (CSRF only)."""

    submit = SubmitField(_l("Make it the term's evaluation meeting"))
