"""Input at the edge: one base model and one set of field types for the API, the web forms and
the public pages, so a text is refused (or normalised) the same way wherever it comes in.

* ``Line``: one line of text (a name, a reference, a phone number). NFC; refuses every control
  character (C0, DEL, C1: CR, LF, TAB, VT, FF, ESC ...) and lone surrogates.
* ``Text``: free text over several lines (a description, a reason). NFC; line breaks of any
  kind (CRLF, CR, VT and FF from Word, NEL, U+2028/2029) become ``\\n``; TAB stays; every other
  control character is refused.
* ``Email``: exactly one address (email-validator, no DNS lookup); empty means none.
* ``Id``: a database id, a JSON integer (``true``, ``"1"`` and ``1.0`` are refused) in 1..2^31-1.
  ``QueryId`` is the same from a query string (ASCII digits only).
* ``Day`` and ``Moment``: a date, or a date-time with its offset, between 2000 and 2100.

Control characters are refused rather than silently dropped: the CalDAV server refuses a
calendar that holds one (412 valid-calendar-data) and strict feed readers the whole feed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from booking.services.errors import Invalid

# Ids are 32-bit integers in the database; a larger one can only be unknown.
MAX_ID = 2**31 - 1
FIRST_YEAR, LAST_YEAR = 2000, 2100

CONTROL_CHARACTER = "control_character"
BAD_EMAIL = "bad_email"
OUT_OF_RANGE = "date_out_of_range"

_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_ALLOWED_IN_TEXT = frozenset("\n\t")


def _forbidden(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs")


def control_characters(value: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """The control characters in ``value`` (outside ``allowed``), as U+XXXX, each once."""
    found = dict.fromkeys(f"U+{ord(c):04X}" for c in value if c not in allowed and _forbidden(c))
    return list(found)


def _refuse(chars: list[str]) -> PydanticCustomError:
    return PydanticCustomError(
        CONTROL_CHARACTER,
        "must not contain control characters ({chars}); retype the text or paste it as plain text",
        {"chars": ", ".join(chars)},
    )


def clean_line(value: str) -> str:
    """One line: NFC, no control characters at all."""
    bad = control_characters(value)
    if bad:
        raise _refuse(bad)
    return unicodedata.normalize("NFC", value)


def clean_text(value: str) -> str:
    """Several lines: NFC, line breaks as ``\\n``, TAB kept, other control characters refused."""
    value = _LINE_BREAKS.sub("\n", value)
    bad = control_characters(value, _ALLOWED_IN_TEXT)
    if bad:
        raise _refuse(bad)
    return unicodedata.normalize("NFC", value)


def strip_controls(value: str) -> str:
    """For text that arrives by machine (a reply's comment): what ``clean_text`` would refuse
    is dropped instead, so an answer is never lost over an invisible character."""
    value = _LINE_BREAKS.sub("\n", value)
    value = "".join(c for c in value if c in _ALLOWED_IN_TEXT or not _forbidden(c))
    return unicodedata.normalize("NFC", value)


def clean_email(value: str) -> str:
    """Exactly one address, or "" for none. Syntax only (no DNS: delivery proves the rest)."""
    if value == "":
        return value
    value = clean_line(value)
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise PydanticCustomError(
            BAD_EMAIL,
            "{value!r} is not one e-mail address: {problem}",
            {"value": value, "problem": str(exc)},
        ) from None
    return str(checked.normalized)


def _in_range(value: date) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise PydanticCustomError(
            OUT_OF_RANGE,
            "must be a date between {first} and {last}",
            {"first": f"{FIRST_YEAR}-01-01", "last": f"{LAST_YEAR}-12-31"},
        )


def check_day(value: date) -> date:
    _in_range(value)
    return value


def check_moment(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("give the time with its offset, e.g. 2026-11-30T09:00:00+01:00")
    _in_range(value.astimezone(UTC).date())
    return value


def _query_int(value: Any) -> Any:
    """A query string carries text: only ASCII digits are an id (not "true", "1e3", "١")."""
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit() or len(value) > 12:
            raise PydanticCustomError(
                "int_parsing",
                "must be a whole number (digits only), got {value!r}",
                {"value": value[:40]},
            )
        return int(value)
    return value


def checked(clean: Callable[[str], str], value: str) -> tuple[str, str | None]:
    """For inputs that are not pydantic models: (the cleaned value, None) or (the value as
    given, the kind of problem: ``control_character`` or ``bad_email``)."""
    try:
        return clean(value), None
    except PydanticCustomError as exc:
        return value, exc.type


def day_problem(value: date) -> str | None:
    """``date_out_of_range`` for a date outside 2000..2100, else None."""
    return None if FIRST_YEAR <= value.year <= LAST_YEAR else OUT_OF_RANGE


Line = Annotated[str, AfterValidator(clean_line)]
Text = Annotated[str, AfterValidator(clean_text)]
Email = Annotated[str, AfterValidator(clean_email)]
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
QueryId = Annotated[int, BeforeValidator(_query_int), Field(strict=True, ge=1, le=MAX_ID)]
Day = Annotated[date, AfterValidator(check_day)]
Moment = Annotated[datetime, AfterValidator(check_moment)]


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with % and _ taken literally (escape ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _check_text(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    if isinstance(value, list):
        for item in value:
            _check_text(item)
    return value


class Input(BaseModel):
    """Unknown fields are an error (a typo must not be silently ignored); NUL bytes too."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _check_text(value)


M = TypeVar("M", bound=BaseModel)


def validation_details(exc: ValidationError) -> dict[str, str]:
    """field path → message, the way the API and the web forms show it."""
    details: dict[str, str] = {}
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "body"
        details[where] = str(err["msg"]).removeprefix("Value error, ")
    return details


# Kinds of input error the web UI names in the user's language (booking.web.messages).
SPECIFIC_REASONS = (CONTROL_CHARACTER, BAD_EMAIL, OUT_OF_RANGE)


def reason_of(exc: ValidationError) -> str:
    """The specific reason when every error is of one such kind, else "invalid"."""
    kinds = {str(err["type"]) for err in exc.errors()}
    if len(kinds) == 1 and (kind := kinds.pop()) in SPECIFIC_REASONS:
        return kind
    return "invalid"


def parse(model: type[M], data: Mapping[str, Any] | M) -> M:
    """Validate ``data`` into ``model``; raise Invalid naming every field to fix."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = validation_details(exc)
        summary = "; ".join(f"{k}: {v}" for k, v in details.items())
        raise Invalid(f"Please correct: {summary}", details, reason=reason_of(exc)) from None
