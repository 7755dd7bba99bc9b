"""Terms for statistics and follow-up point status/reminder rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from booking.domain.followup import point_status, reminder_due
from booking.domain.terms import Term, TermError, parse_term, term_of


def test_parse_term_and_bounds() -> None:
    spring = parse_term("2027-spring")
    assert (spring.start, spring.end) == (date(2027, 1, 1), date(2027, 7, 1))
    autumn = parse_term(" 2027-Autumn ")
    assert (autumn.start, autumn.end) == (date(2027, 7, 1), date(2028, 1, 1))
    assert parse_term("2027-höst") == autumn
    assert spring.contains(date(2027, 6, 30)) and not spring.contains(date(2027, 7, 1))
    assert term_of(date(2026, 12, 31)) == Term(2026, "autumn")
    assert term_of(date(2027, 1, 1)).previous() == Term(2026, "autumn")
    assert spring.label_sv == "Våren 2027"


@pytest.mark.parametrize(
    "raw", ["", "2027", "2027-summer", "27-spring", "2027-spring-x", "1999-spring"]
)
def test_parse_term_errors_say_what_to_write(raw: str) -> None:
    with pytest.raises(TermError, match=r"2027-spring|between 2000"):
        parse_term(raw)


def test_point_status() -> None:
    today = date(2027, 3, 10)
    assert point_status("open", today, today) == "open"
    assert point_status("open", today - timedelta(days=1), today) == "overdue"
    assert point_status("done", today - timedelta(days=9), today) == "done"


DUE = date(2027, 3, 20)


def test_reminder_sent_on_each_offset_day_once() -> None:
    created = date(2027, 3, 1)
    assert reminder_due(DUE, date(2027, 3, 12), (7, 1), [], created).send is None
    assert reminder_due(DUE, date(2027, 3, 13), (7, 1), [], created).send == 7
    assert reminder_due(DUE, date(2027, 3, 14), (7, 1), [7], created).send is None
    assert reminder_due(DUE, date(2027, 3, 19), (7, 1), [7], created).send == 1


def test_offsets_already_passed_at_creation_are_never_sent() -> None:
    created = DUE - timedelta(days=3)
    decision = reminder_due(DUE, created, (7, 1), [], created)
    assert decision.send is None and decision.skip == (7,)
    assert reminder_due(DUE, DUE - timedelta(days=1), (7, 1), [7], created).send == 1


def test_after_a_pause_only_the_most_urgent_reminder_goes_out() -> None:
    created = date(2027, 3, 1)
    decision = reminder_due(DUE, DUE - timedelta(days=1), (7, 1), [], created)
    assert decision.send == 1 and decision.skip == (7,)


def test_nothing_on_or_after_the_due_day() -> None:
    decision = reminder_due(DUE, DUE, (7, 1), [], date(2027, 3, 1))
    assert decision.send is None and set(decision.skip) == {7, 1}
