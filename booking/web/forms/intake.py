# mypy: disallow-subclassing-any=False
"""The request form (issue 14): a business asks for a meeting, or staff pass a contact on."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from booking.domain.vocabulary import BUSINESS_CATEGORIES, REQUEST_QUESTIONS
from booking.web.forms.fields import Email, LineField, MultiCheckboxField, TextField, options
from booking.web.labels import CATEGORY


class RequestForm(FlaskForm):
    category = RadioField(
        _l("What do you plan?"),
        choices=options([(c.value, CATEGORY[c]) for c in BUSINESS_CATEGORIES]),
        validators=[DataRequired(_l("Choose what you plan."))],
    )
    description = TextField(
        _l("Tell us briefly what you want to do"),
        validators=[
            DataRequired(_l("Describe what you want to do.")),
            Length(max=4000, message=_l("Use at most %(max)d characters.")),
        ],
    )
    place = LineField(_l("Where (address or area)"), validators=[Optional(), Length(max=300)])
    start_hope = LineField(
        _l("When do you hope to start?"), validators=[Optional(), Length(max=200)]
    )
    questions = MultiCheckboxField(
        _l("Questions you already know you have"),
        choices=options([(k, sv) for k, (sv, _en) in REQUEST_QUESTIONS.items()]),
    )
    preferred_dates = MultiCheckboxField(_l("Tuesdays that suit you (optional)"))
    org_name = LineField(
        _l("Company or organisation"),
        validators=[DataRequired(_l("Give the company's name.")), Length(max=300)],
    )
    org_number = LineField(
        _l("Organisation number (or personal identity number for a sole trader)"),
        validators=[Optional(), Length(max=20)],
    )
    contact_name = LineField(
        _l("Contact person"), validators=[DataRequired(_l("Give your name.")), Length(max=200)]
    )
    contact_email = StringField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("Give your e-mail address.")),
            Email(_l("Enter a valid e-mail address.")),
            Length(max=320),
        ],
    )
    contact_phone = LineField(_l("Phone"), validators=[Optional(), Length(max=64)])
    # Left empty by people; filled in by bots that fill in every field.
    website = StringField(_l("Leave this field empty"))
    consent = BooleanField(_l("I have read how my details are handled and agree to it"))
    consent_note = LineField(
        _l("How the business agreed to be contacted (e.g. by phone, 3 Dec)"),
        validators=[Optional(), Length(max=300)],
    )
    submit = SubmitField(_l("Send the request"))
