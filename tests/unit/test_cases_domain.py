"""Case rules: the status life cycle, organisation numbers (Luhn), references."""

from __future__ import annotations

import pytest

from booking.domain import cases as rules


@pytest.mark.parametrize(
    ("current", "new"),
    [
        ("received", "booked"),
        ("booked", "confirmed"),
        ("confirmed", "held"),
        ("held", "follow_up"),
        ("follow_up", "closed"),
        ("booked", "held"),
        ("booked", "received"),
        ("confirmed", "booked"),
        ("held", "closed"),
    ],
)
def test_allowed_transitions(current: str, new: str) -> None:
    rules.check_transition(current, new)


@pytest.mark.parametrize("current", ["received", "booked", "confirmed", "held", "follow_up"])
def test_cancelled_from_any_open_state(current: str) -> None:
    rules.check_transition(current, "cancelled")


@pytest.mark.parametrize(
    ("current", "new", "fragment"),
    [
        ("received", "held", "from received it can go to booked, cancelled"),
        ("closed", "received", "a closed case cannot change status"),
        ("cancelled", "booked", "a cancelled case cannot change status"),
        ("follow_up", "booked", "cannot go from follow_up to booked"),
        ("received", "flying", "Unknown case status 'flying'"),
    ],
)
def test_illegal_transitions_explain_themselves(current: str, new: str, fragment: str) -> None:
    with pytest.raises(rules.TransitionError, match=fragment):
        rules.check_transition(current, new)


def test_every_status_is_in_the_table_and_closed_states_have_no_exit() -> None:
    assert set(rules.STATUSES) == {
        "received",
        "booked",
        "confirmed",
        "held",
        "follow_up",
        "closed",
        "cancelled",
    }
    assert {"received", "booked", "confirmed", "held", "follow_up"} == rules.OPEN_STATUSES


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("556036-0793", "556036-0793"),  # a real AB (Volvo Personvagnar's is 556074-3089)
        ("5560743089", "556074-3089"),
        ("16556074-3089", "556074-3089"),
        (" 212000-2080 ", "212000-2080"),  # a municipality (Mora kommun)
        ("19811218-9876", "811218-9876"),  # a sole trader's personal identity number
    ],
)
def test_valid_org_numbers(raw: str, normalised: str) -> None:
    assert rules.normalise_org_number(raw) == normalised


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("556036-0794", "check digit"),
        ("5560360", "ten digits"),
        ("55603607931", "ten digits"),
        ("abcdef-ghij", "ten digits"),
        ("17556036-0793", "unknown prefix"),
        ("16811218-9876", "20 or more"),
    ],
)
def test_invalid_org_numbers_say_what_is_wrong(raw: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        rules.normalise_org_number(raw)


def test_luhn() -> None:
    assert rules.luhn_valid("5560360793")
    assert not rules.luhn_valid("5560360794")
    assert not rules.luhn_valid("55603a0793")


def test_reference() -> None:
    assert rules.case_reference("mora", 2026, 1) == "MORA-2026-0001"
    assert rules.case_reference("älvdalen-x", 2027, 12345) == "ALVDALENX-2027-12345"
    assert rules.reference_number("MORA-2026-0042") == 42
    assert rules.reference_number("legacy") == 0
