"""The rules of a forum's series and pauses as an administrator types them (issue 15)."""

from __future__ import annotations

from datetime import date, time

import pytest

from booking.domain.schedule import Pause, expand_pauses, overlapping_pause, series_problems

TUESDAY = 1


def _problems(**change: object) -> dict[str, str]:
    values: dict[str, object] = {
        "weekday": TUESDAY,
        "anchor": date(2027, 1, 12),  # a Tuesday
        "every_weeks": 2,
        "start_time": time(13, 0),
        "end_time": time(17, 0),
        "meeting_minutes": 60,
        "buffer_minutes": 15,
    }
    values.update(change)
    return series_problems(**values)  # type: ignore[arg-type]


def test_a_good_series_has_no_problem() -> None:
    assert _problems() == {}


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"anchor": date(2027, 1, 13)}, "anchor_date", "anchor_not_weekday"),
        ({"end_time": time(12, 0)}, "end_time", "end_before_start"),
        ({"end_time": time(13, 0)}, "end_time", "end_before_start"),
        ({"meeting_minutes": 241}, "meeting_minutes", "meeting_longer_than_afternoon"),
        ({"meeting_minutes": 4}, "meeting_minutes", "meeting_too_short"),
        ({"buffer_minutes": -5}, "buffer_minutes", "buffer_negative"),
        ({"every_weeks": 0}, "every_weeks", "every_weeks_range"),
        ({"every_weeks": 9}, "every_weeks", "every_weeks_range"),
        ({"weekday": 7}, "weekday", "unknown_weekday"),
    ],
)
def test_each_mistake_names_its_field(change: dict[str, object], field: str, reason: str) -> None:
    assert _problems(**change)[field] == reason


def test_a_whole_afternoon_meeting_fits() -> None:
    assert _problems(meeting_minutes=240) == {}


def test_a_yearly_christmas_pause_spans_the_new_year_every_year() -> None:
    jul = Pause(date(2026, 12, 23), date(2027, 1, 6), "jul", yearly=True)
    dated = expand_pauses([jul], date(2027, 6, 1), date(2029, 2, 1))
    spans = [(p.start_date, p.end_date) for p in dated]
    assert (date(2027, 12, 23), date(2028, 1, 6)) in spans
    assert (date(2028, 12, 23), date(2029, 1, 6)) in spans
    assert all(p.reason == "jul" for p in dated)
    assert any(p.covers(date(2029, 1, 2)) for p in dated)


def test_a_pause_once_stays_once() -> None:
    once = Pause(date(2027, 3, 1), date(2027, 3, 7), "sportlov")
    assert expand_pauses([once], date(2027, 1, 1), date(2029, 1, 1)) == [once]
    assert expand_pauses([once], date(2028, 1, 1), date(2029, 1, 1)) == []


def test_a_yearly_pause_on_29_february_falls_on_the_28th_in_other_years() -> None:
    leap = Pause(date(2028, 2, 29), date(2028, 3, 3), "sportlov", yearly=True)
    dated = expand_pauses([leap], date(2029, 1, 1), date(2029, 12, 31))
    assert [(p.start_date, p.end_date) for p in dated] == [(date(2029, 2, 28), date(2029, 3, 3))]


def test_overlapping_pauses_are_found_over_the_years() -> None:
    summer = Pause(date(2027, 6, 21), date(2027, 8, 15), "sommar", yearly=True)
    # A one-off pause a year later still falls in the yearly summer.
    late = Pause(date(2028, 8, 10), date(2028, 8, 20), "extra")
    assert overlapping_pause(late, [summer]) == summer
    after = Pause(date(2028, 8, 16), date(2028, 8, 20), "extra")
    assert overlapping_pause(after, [summer]) is None
    # A yearly Christmas pause and a one-off New Year's week overlap.
    jul = Pause(date(2026, 12, 23), date(2027, 1, 6), "jul", yearly=True)
    assert overlapping_pause(Pause(date(2029, 1, 2), date(2029, 1, 4), "nyår"), [jul]) == jul
