"""When the agenda of a forum afternoon goes out, and what each reader sees of its items."""

from __future__ import annotations

from datetime import date

import pytest

from booking.domain.agenda import agenda_day, agenda_due
from booking.domain.visibility import (
    AGENDA_PARTS,
    ConsentScope,
    agenda_parts,
    agenda_shows,
    staff_visibility,
)
from booking.domain.vocabulary import Role
from booking.holiday_calendar import non_working_days

CLOSED = non_working_days(range(2025, 2029), include_half_days=False)


@pytest.mark.parametrize(
    ("session", "n", "expected"),
    [
        # An ordinary Tuesday: Monday, then Friday (the weekend does not count).
        (date(2026, 12, 15), 2, date(2026, 12, 11)),
        (date(2026, 12, 15), 1, date(2026, 12, 14)),
        (date(2026, 12, 15), 0, date(2026, 12, 15)),
        (date(2026, 12, 15), 5, date(2026, 12, 8)),
        # Easter 2027: Easter Monday 29 March and Good Friday 26 March are holidays;
        # Maundy Thursday (a half day) is a working morning.
        (date(2027, 3, 30), 1, date(2027, 3, 25)),
        (date(2027, 3, 30), 2, date(2027, 3, 24)),
        # Christmas and New Year 2026/27: 1 January and nyårsafton are closed.
        (date(2027, 1, 5), 2, date(2026, 12, 30)),
        # Christmas Eve, Christmas Day and the weekend after: 22 and 23 December count.
        (date(2026, 12, 29), 2, date(2026, 12, 23)),
        (date(2026, 12, 29), 3, date(2026, 12, 22)),
        # Ascension Day 2027 (Thursday 6 May) does not count.
        (date(2027, 5, 11), 3, date(2027, 5, 5)),
    ],
)
def test_the_agenda_day_counts_swedish_working_days(session: date, n: int, expected: date) -> None:
    assert (CLOSED.get(expected) is None and expected.weekday() < 5) or n == 0
    assert agenda_day(session, n, CLOSED) == expected


def test_the_agenda_is_due_from_its_day_until_the_afternoon() -> None:
    session = date(2027, 3, 30)  # the Tuesday after Easter; due Wednesday 24 March
    assert not agenda_due(date(2027, 3, 23), session, 2, CLOSED)
    assert agenda_due(date(2027, 3, 24), session, 2, CLOSED)
    # A worker that was down over Easter catches up on any later day, even a holiday.
    assert agenda_due(date(2027, 3, 29), session, 2, CLOSED)
    assert agenda_due(session, session, 2, CLOSED)
    assert not agenda_due(date(2027, 3, 31), session, 2, CLOSED)
    # A negative setting is read as 0: on the day.
    assert agenda_day(session, -3, CLOSED) == session


ALL = frozenset(AGENDA_PARTS)
PLACE = frozenset({"time", "reference"})
# What a reader who reads like a forum feed (not invited) sees of a shared case.
FEED_LIKE = frozenset(
    {"time", "reference", "category", "organisation", "questions", "departments", "convener"}
)
HANDLER_ROLES = (Role.ADMIN, Role.COORDINATOR)


def _parts(
    role: Role, *, confidential: bool, attends: bool, consent: ConsentScope
) -> frozenset[str]:
    seen = staff_visibility(role, confidential=confidential, consent=consent, participant=attends)
    return agenda_parts(seen, confidential=confidential)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("confidential", [False, True])
@pytest.mark.parametrize("attends", [False, True])
def test_each_reader_sees_the_parts_the_policy_allows(
    role: Role, confidential: bool, attends: bool
) -> None:
    """Roles × confidential × the reader attends the case or not (consent to share widely)."""
    parts = _parts(role, confidential=confidential, attends=attends, consent=ConsentScope.EXTERNAL)
    if role in HANDLER_ROLES:
        expected = ALL
    elif role == Role.RECEIVER or confidential:
        expected = PLACE  # "Forum – sekretess (reference)" and its time, nothing else
    elif role == Role.REPRESENTATIVE and attends:
        expected = ALL
    else:
        expected = FEED_LIKE
    assert parts == expected, (role, confidential, attends)


def test_without_consent_an_attendee_sees_the_matter_not_the_business() -> None:
    parts = _parts(Role.REPRESENTATIVE, confidential=False, attends=True, consent=ConsentScope.NONE)
    assert parts == {"time", "reference", "category", "questions", "departments", "convener"}
    viewer = _parts(Role.VIEWER, confidential=False, attends=False, consent=ConsentScope.NONE)
    # Nothing of the case reaches a reader who is not invited: its time and reference only.
    assert viewer == PLACE


def test_an_external_party_sees_only_what_the_consent_reaches() -> None:
    municipal_only = staff_visibility(
        Role.REPRESENTATIVE,
        confidential=False,
        consent=ConsentScope.MUNICIPAL,
        participant=True,
        municipal=False,
    )
    assert not agenda_shows("organisation", municipal_only, confidential=False)
    assert not agenda_shows("brief", municipal_only, confidential=False)
    assert agenda_shows("category", municipal_only, confidential=False)


def test_an_unknown_part_is_a_programming_error() -> None:
    seen = staff_visibility(Role.ADMIN, confidential=False, consent=ConsentScope.NONE)
    with pytest.raises(KeyError):
        agenda_shows("phone", seen, confidential=False)


def test_agenda_working_days_is_a_checked_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from config import ConfigError, load_settings

    assert load_settings().agenda_working_days == 2
    monkeypatch.setenv("AGENDA_WORKING_DAYS", "5")
    assert load_settings().agenda_working_days == 5
    for bad in ("-1", "21", "two"):
        monkeypatch.setenv("AGENDA_WORKING_DAYS", bad)
        with pytest.raises(ConfigError, match="AGENDA_WORKING_DAYS"):
            load_settings()
