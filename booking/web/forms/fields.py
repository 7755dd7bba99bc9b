# mypy: disallow-subclassing-any=False
# (wtforms and flask-wtf ship without type hints; their base classes are Any to mypy)
"""Form fields that clean what they take in, the same way the API does (booking.services.inputs).

CSRF on every form; labels and messages are lazy, so they follow the language of the request
that renders them; messages say what to fix."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from booking.services.inputs import checked, clean_email, clean_line, clean_text

try:  # WTForms 3.3+ wants SelectChoice objects; older versions take (value, label) tuples.
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover
    SelectChoice = None


class RowForm(FlaskForm):
    """A form repeated once per row of a page, its fields prefixed by the row (``s12-reason``)
    so that ids stay unique. Its CSRF token keeps the page-wide name ``csrf_token`` that
    ``csrf_field()`` writes: a prefixed token field would look for ``s12-csrf_token``, find
    nothing and refuse every submission once CSRF is on (as in production)."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            if options.get("name") == self.csrf_field_name:
                options = {**options, "prefix": ""}
            return super().bind_field(form, unbound_field, options)


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
