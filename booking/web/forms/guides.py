# mypy: disallow-subclassing-any=False
# (wtforms and flask-wtf ship without type hints; their base classes are Any to mypy)
"""The form of a category guide (issue 14 §4): the questions the departments ask and what the
business brings, in Swedish and English (an empty English text shows the Swedish)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField
from wtforms.validators import Length

from booking.services.preparation.guides import MAX_CHARS
from booking.web.forms.fields import TextField

_TOO_LONG = _l("At most %(max)d characters.")


class GuideForm(FlaskForm):
    """One business category's guide; the page holds one per category (``prefix``)."""

    ask = TextField(
        _l("Questions the departments ask (one per line)"),
        validators=[Length(max=MAX_CHARS, message=_TOO_LONG)],
    )
    bring = TextField(
        _l("What to bring (one per line)"),
        validators=[Length(max=MAX_CHARS, message=_TOO_LONG)],
    )
    ask_en = TextField(
        _l("Questions in English (empty: the Swedish is shown)"),
        validators=[Length(max=MAX_CHARS, message=_TOO_LONG)],
    )
    bring_en = TextField(
        _l("What to bring in English (empty: the Swedish is shown)"),
        validators=[Length(max=MAX_CHARS, message=_TOO_LONG)],
    )
    submit = SubmitField(_l("Save the guide"))
