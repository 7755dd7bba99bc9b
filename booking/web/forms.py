# mypy: disallow-subclassing-any=False
# (wtforms and flask-wtf ship without type hints; their base classes are Any to mypy)
"""Flask-WTF forms (CSRF on every one). Labels and messages are lazy, so they follow the
language of the request that renders them; messages say what to fix."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from booking.domain.cases import normalise_org_number
from booking.services.inputs import checked, clean_email, clean_line, clean_text

try:  # WTForms 3.3+ wants SelectChoice objects; older versions take (value, label) tuples.
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover
    SelectChoice = None


class Email:
    """Exactly one e-mail address (booking.services.inputs.clean_email: email-validator, no DNS
    lookup), the same rule as the API: a comma or a line break can never add a recipient."""

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: Any) -> None:
        if not field.data:
            return
        value, problem = checked(clean_email, field.data)
        if problem is not None:
            raise ValidationError(self.message)
        field.data = value


_CONTROL_CHARACTERS = _l(
    "Remove invisible control characters (for example from Word) from the text."
)


def _clean_field(field: Any, clean: Callable[[str], str]) -> None:
    if not field.data:
        return
    value, problem = checked(clean, field.data)
    if problem is not None:
        raise ValidationError(_CONTROL_CHARACTERS)
    field.data = value


class LineField(StringField):
    """One line of text: every control character refused, NFC (booking.services.inputs.Line),
    so a web form takes exactly what the API takes."""

    def pre_validate(self, form: FlaskForm) -> None:
        _clean_field(self, clean_line)


class TextField(TextAreaField):
    """Free text over several lines: line breaks and TAB kept, other control characters
    refused (booking.services.inputs.Text)."""

    def pre_validate(self, form: FlaskForm) -> None:
        _clean_field(self, clean_text)


def options(pairs: Iterable[tuple[Any, Any]]) -> list[Any]:
    """Choices for a select field, in the form this WTForms version wants."""
    if SelectChoice is None:
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes instead of a multi-select: easier with keyboard and screen readers."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=320)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Log in"))


class ActionForm(FlaskForm):
    """A form that is only a button (log out, cancel an absence): the CSRF token is the point."""

    submit = SubmitField(_l("Confirm"))


class LanguageForm(FlaskForm):
    locale = SelectField(
        _l("Language"),
        choices=options([("sv", "Svenska"), ("en", "English")]),
        validators=[DataRequired()],
    )
    next = HiddenField()
    submit = SubmitField(_l("Change language"))


class CancelSessionForm(FlaskForm):
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


class PhoneReplyForm(FlaskForm):
    attendee_id = HiddenField(validators=[DataRequired()])
    partstat = SelectField(
        _l("Answer"),
        choices=options(
            [
                ("ACCEPTED", _l("Accepted")),
                ("DECLINED", _l("Declined")),
                ("TENTATIVE", _l("Tentative")),
            ]
        ),
    )
    note = TextField(
        _l("Note (who called, what was said)"),
        validators=[
            DataRequired(_l("Say who answered and when.")),
            Length(max=1000, message=_l("Use at most %(max)d characters.")),
        ],
    )
    submit = SubmitField(_l("Record the answer"))


def _org_number_check(form: Any, field: Any) -> None:
    """The same rule the case service applies (Luhn check digit), said in the user's language."""
    if not field.data:
        return
    try:
        normalise_org_number(field.data)
    except ValueError:
        raise ValidationError(
            _l(
                "Check the organisation number: ten digits as NNNNNN-NNNN, "
                "and the last digit must match (look for a typing error)."
            )
        ) from None


class CaseForm(FlaskForm):
    forum = SelectField(_l("Forum"))
    registry_number = LineField(
        _l("Registry number (diarienummer)"), validators=[Optional(), Length(max=64)]
    )
    org_name = LineField(
        _l("Organisation"),
        validators=[
            DataRequired(_l("Enter the name of the business or organisation.")),
            Length(max=300, message=_l("Use at most %(max)d characters.")),
        ],
    )
    org_number = LineField(
        _l("Organisation number"), validators=[Optional(), Length(max=20), _org_number_check]
    )
    contact_name = LineField(_l("Contact person"), validators=[Optional(), Length(max=200)])
    contact_email = EmailField(
        _l("Contact e-mail"),
        validators=[Optional(), Email(_l("Enter a valid e-mail address.")), Length(max=320)],
    )
    contact_phone = LineField(_l("Contact phone"), validators=[Optional(), Length(max=64)])
    category = RadioField(
        _l("Category"),
        choices=options(
            [
                ("new_establishment", _l("New establishment")),
                ("major_change", _l("Major change of an existing business")),
                ("event", _l("Event")),
            ]
        ),
        validators=[InputRequired(_l("Choose what kind of case it is."))],
    )
    description = TextField(
        _l("Description"),
        validators=[Optional(), Length(max=20000, message=_l("Use at most %(max)d characters."))],
    )
    responsibility_areas = LineField(
        _l("Responsibility areas (comma-separated)"), validators=[Optional(), Length(max=1000)]
    )
    department_ids = MultiCheckboxField(
        _l("Departments that must attend"),
        coerce=int,
        validators=[DataRequired(_l("Choose at least one department."))],
    )
    confidential = BooleanField(_l("Confidential (sekretess)"))
    consent_to_share = BooleanField(
        _l("The customer agrees that the case is shared with the participants")
    )
    consent_external = BooleanField(
        _l("The customer agrees to sharing also with external parties (e.g. the police)")
    )
    submit = SubmitField(_l("Save and show proposed times"))


class BookForm(FlaskForm):
    slot = IntegerField(validators=[InputRequired()])
    convener_id = SelectField(_l("Convener (chairs the meeting)"), coerce=int)
    minute_taker_id = SelectField(_l("Minute-taker"), coerce=int)
    override_reason = LineField(
        _l("Reason for booking despite the rules (only if asked)"),
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField(_l("Book this time"))


class RescheduleForm(FlaskForm):
    slot = SelectField(_l("New time"), validators=[DataRequired(_l("Choose a new time."))])
    override_reason = LineField(
        _l("Reason for moving despite the rules (only if asked)"),
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField(_l("Move the meeting"))


class CancelMeetingForm(FlaskForm):
    reason = TextField(
        _l("Reason for the cancellation"),
        validators=[
            DataRequired(_l("Give a reason for the cancellation.")),
            Length(max=2000, message=_l("Use at most %(max)d characters.")),
        ],
    )
    submit = SubmitField(_l("Cancel the meeting"))


class TransitionForm(FlaskForm):
    status = SelectField(_l("New status"))
    note = LineField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Change status"))
