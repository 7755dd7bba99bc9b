"""Input types at the edge (issue 11, part 4) and the iCalendar writer's own guarantee."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar, Event
from pydantic import ValidationError

from booking.adapters.mailer import build_message
from booking.ical.feed import FeedHeader, assemble, calendar_head
from booking.ical.serialize import component_bytes, new_calendar, to_bytes
from booking.services.cases.inputs import CaseUpdate
from booking.services.inputs import (
    clean_line,
    clean_text,
    like_pattern,
    strip_controls,
)
from booking.services.invitations.outbox import OutgoingMail, PermanentError

WORD = "Rad ett\x0bRad två"  # Shift+Enter in Word pastes U+000B


@pytest.mark.parametrize("bad", ["a\x0bb", "a\x0cb", "a\x1bb", "a\rb", "a\nb", "a\tb", "a\x85b"])
def test_a_single_line_refuses_every_control_character(bad: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        clean_line(bad)
    with pytest.raises(ValidationError) as err:
        CaseUpdate.model_validate({"org_name": bad})
    assert err.value.errors()[0]["type"] == "control_character"


def test_multi_line_text_keeps_line_breaks_and_tabs_and_refuses_escape() -> None:
    assert clean_text(WORD) == "Rad ett\nRad två"
    assert clean_text("a\r\nb\rc\x0cd\u2028e\tf") == "a\nb\nc\nd\ne\tf"
    with pytest.raises(ValueError, match="U\\+001B"):
        clean_text("röd \x1b[31m text")
    assert CaseUpdate.model_validate({"description": WORD}).description == "Rad ett\nRad två"


def test_text_is_normalised_to_nfc_and_lone_surrogates_refused() -> None:
    decomposed = "Cafe\u0301 Siljan"
    assert clean_line(decomposed) == "Café Siljan"
    with pytest.raises(ValueError):
        clean_line("x\ud800")


def test_machine_text_is_stripped_not_refused() -> None:
    assert strip_controls("ja\x1b tack\x0bhej") == "ja tack\nhej"


@pytest.mark.parametrize(
    "address",
    ["a@x.se, b@y.se", "a@x.se\r\nBcc: c@y.se", "a@x.se;b@y.se", "Eva <eva@x.se>", "eva@"],
)
def test_an_e_mail_field_is_exactly_one_address(address: str) -> None:
    with pytest.raises(ValidationError) as err:
        CaseUpdate.model_validate({"contact_email": address})
    assert err.value.errors()[0]["type"] in ("bad_email", "control_character")


def test_one_address_is_accepted_and_an_empty_one_means_none() -> None:
    assert CaseUpdate.model_validate({"contact_email": "eva@cafe.example"}).contact_email == (
        "eva@cafe.example"
    )
    assert CaseUpdate.model_validate({"contact_email": ""}).contact_email == ""


@pytest.mark.parametrize("value", [True, "3", 3.0, 2**31, 0])
def test_ids_are_strict_integers_in_range(value: object) -> None:
    with pytest.raises(ValidationError):
        CaseUpdate.model_validate({"department_ids": [value]})
    assert CaseUpdate.model_validate({"department_ids": [3]}).department_ids == [3]


@pytest.mark.parametrize("when", ["0001-01-01T10:00:00+00:00", "2101-01-01T10:00:00+01:00"])
def test_dates_outside_2000_to_2100_are_refused(when: str) -> None:
    with pytest.raises(ValidationError) as err:
        CaseUpdate.model_validate({"received_at": when})
    assert err.value.errors()[0]["type"] == "date_out_of_range"


def test_like_wildcards_are_escaped() -> None:
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"


def _control(char: str) -> bool:
    return (ord(char) < 0x20 and char not in "\r\n\t") or 0x7F <= ord(char) <= 0x9F


def test_the_ical_writer_never_emits_a_control_character() -> None:
    event = Event()
    event.add("uid", "x@forum.test")
    event.add("dtstamp", datetime(2026, 11, 30, tzinfo=UTC))
    event.add("summary", "Bageri\x0bDalarna \x1b[1m AB\x85")
    event.add("description", "Rad ett\x0cRad två\x00")
    event.add("location", "Kommunhuset\x7f")
    cal = new_calendar("Europe/Stockholm", method="REQUEST")
    cal.add_component(event)
    feed = assemble(calendar_head(FeedHeader("Forum\x0b", "x")), [component_bytes(event)])
    for data in (to_bytes(cal), component_bytes(event), feed):
        text = data.decode()
        assert not [c for c in text if _control(c)]
        assert "\r" not in text.replace("\r\n", "") and "\n" not in text.replace("\r\n", "")
        Calendar.from_ical(data)  # still one well-formed calendar
    summary = Calendar.from_ical(to_bytes(cal)).walk("VEVENT")[0]["SUMMARY"]
    assert summary == "BageriDalarna [1m AB" and "två" in to_bytes(cal).decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to", ("kund@x.se\r\nBcc: all@x.se",)),
        ("subject", "Hej\nBcc: all@x.se"),
        ("reply_to", "a@x.se\r\n"),
        ("to", ("kund@x.se, all@x.se",)),
    ],
)
def test_the_mailer_refuses_a_header_with_a_line_break(field: str, value: object) -> None:
    base = {"to": ("kund@x.se",), "subject": "Bekräftelse", "text": "Hej"}
    mail = OutgoingMail(**(base | {field: value}))  # type: ignore[arg-type]
    with pytest.raises(PermanentError, match=r"line break|exactly one address"):
        build_message(mail, "Forum <forum@x.se>")
