# mypy: disallow-subclassing-any=False
# (wtforms and flask-wtf ship without type hints; their base classes are Any to mypy)
"""Forms of signing in, the language choice and the plain action button.

CSRF on every form; labels and messages are lazy, so they follow the language of the request
that renders them; messages say what to fix."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Length,
)

from booking.web.forms.fields import options


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
