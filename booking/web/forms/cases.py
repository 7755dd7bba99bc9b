# mypy: disallow-subclassing-any=False
# (wtforms and flask-wtf ship without type hints; their base classes are Any to mypy)
"""Forms of the case pages: the case, booking, moving, cancelling, status, answers by phone.

CSRF on every form; labels and messages are lazy, so they follow the language of the request
that renders them; messages say what to fix."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from booking.domain.cases import customer_problems, normalise_org_number
from booking.domain.vocabulary import CaseCategory
from booking.web.forms.fields import Email, LineField, MultiCheckboxField, TextField, options


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
    # The organisation, or an internal case's title: ``validate`` asks the one rule
    # (booking.domain.cases.customer_problems) for the message that fits the category.
    org_name = LineField(
        _l("Organisation"),
        validators=[
            Optional(),
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
                ("internal", _l("Forum internal (the forum's own matter, no customer)")),
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

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' own checks, then the customer rule of the chosen category."""
        valid: bool = super().validate(extra_validators)
        if self.category.data not in CaseCategory._value2member_map_:
            return valid  # the category's own message says to choose one
        typed = {name: str(getattr(self, name).data or "") for name in _CUSTOMER_FIELDS}
        for name, reason in customer_problems(self.category.data, typed).items():
            getattr(self, name).errors.append(_CUSTOMER_MESSAGES[reason])
            valid = False
        return valid


_CUSTOMER_FIELDS = ("org_name", "org_number", "contact_name", "contact_email", "contact_phone")
_CUSTOMER_MESSAGES = {
    "org_name_required": _l("Enter the name of the business or organisation."),
    "title_required": _l("Give the internal case a short title."),
    "no_customer": _l("An internal case has no customer: leave this empty."),
}


class BookForm(FlaskForm):
    slot = IntegerField(validators=[InputRequired()])
    convener_id = SelectField(_l("Convener (chairs the meeting)"), coerce=int)
    minute_taker_id = SelectField(_l("Minute-taker"), coerce=int)
    override_reason = LineField(
        _l("Reason for booking despite the rules (only if asked)"),
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField(_l("Book this time"))


class OwnAnswerForm(FlaskForm):
    """A representative answers their own invitation; the buttons carry the answer."""

    partstat = SelectField(
        _l("Your answer"),
        choices=options(
            [
                ("ACCEPTED", _l("Accept")),
                ("TENTATIVE", _l("Tentative")),
                ("DECLINED", _l("Decline")),
            ]
        ),
        validators=[DataRequired()],
    )
    note = LineField(_l("Comment (optional)"), validators=[Optional(), Length(max=1000)])


class RolesForm(FlaskForm):
    """Who chairs the meeting and who keeps the minutes; 0 means "decide later"."""

    convener_id = SelectField(_l("Convener (chairs the meeting)"), coerce=int)
    minute_taker_id = SelectField(_l("Minute-taker"), coerce=int)
    submit = SubmitField(_l("Save"))


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
