"""Sessions from the series: cadence, DST, ISO week 53, holidays, pauses, slots."""

from __future__ import annotations

import itertools
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.domain.schedule import (
    Pause,
    SeriesSpec,
    add_working_days,
    plan_sessions,
    series_dates,
    slots_for_day,
)
from booking.holiday_calendar import non_working_days

STHLM = ZoneInfo("Europe/Stockholm")
SPEC = SeriesSpec(date(2026, 12, 8), 14, time(13, 0), time(16, 30), 60, 15)


def test_dates_are_anchor_plus_fourteen_days_also_before_the_anchor() -> None:
    dates = series_dates(SPEC, date(2026, 11, 1), date(2027, 1, 31))
    assert dates[0] == date(2026, 11, 10)
    assert all(b - a == timedelta(days=14) for a, b in itertools.pairwise(dates))
    assert all(d.weekday() == 1 for d in dates)


def test_cadence_holds_across_iso_week_53() -> None:
    # 2026 has ISO week 53; an even-week rule would leave a three-week gap here.
    spec = SeriesSpec(date(2026, 12, 15), 14, time(13), time(16), 60, 15)
    dates = series_dates(spec, date(2026, 12, 10), date(2027, 2, 1))
    assert [d.isoformat() for d in dates] == [
        "2026-12-15",
        "2026-12-29",
        "2027-01-12",
        "2027-01-26",
    ]
    assert [d.isocalendar().week for d in dates] == [51, 53, 2, 4]


@pytest.mark.parametrize(
    ("before", "after"),
    [(date(2027, 3, 23), date(2027, 3, 30)), (date(2027, 10, 26), date(2027, 11, 2))],
)
def test_first_session_after_dst_change_starts_at_13_local(before: date, after: date) -> None:
    spec = SeriesSpec(before, 7, time(13), time(16, 30), 60, 15)
    first, second = plan_sessions(spec, before, after, {})
    for session in (first, second):
        local = session.starts_at.astimezone(STHLM)
        assert (local.hour, local.minute) == (13, 0)
        assert all(s.starts_at.astimezone(STHLM).hour in (13, 14, 15) for s in session.slots)
    assert first.starts_at.utcoffset() == timedelta(0)
    offsets = {
        first.starts_at.astimezone(STHLM).utcoffset(),
        second.starts_at.astimezone(STHLM).utcoffset(),
    }
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}
    assert first.starts_at.hour != second.starts_at.hour  # the UTC hour moved, local did not


def test_slots_fit_meeting_length_and_buffer() -> None:
    slots = slots_for_day(SPEC, date(2027, 2, 2))
    assert [s.starts_at.astimezone(STHLM).strftime("%H:%M") for s in slots] == [
        "13:00",
        "14:15",
        "15:30",
    ]
    assert slots[-1].ends_at.astimezone(STHLM).strftime("%H:%M") == "16:30"


HOLIDAY_TUESDAYS = {
    date(2025, 12, 23): "dag före julafton (halvdag)",
    date(2025, 12, 30): "dag före nyårsafton (halvdag)",
    date(2026, 1, 6): "trettondedag jul",
    date(2027, 1, 5): "trettondagsafton (halvdag)",
    date(2028, 6, 6): "nationaldagen",
    date(2028, 12, 26): "annandag jul",
    date(2029, 5, 1): "första maj",
    date(2029, 12, 25): "juldagen",
    date(2030, 1, 1): "nyårsdagen",
    date(2030, 4, 30): "valborgsmässoafton (halvdag)",
    date(2030, 12, 24): "julafton",
    date(2030, 12, 31): "nyårsafton",
}


def test_every_holiday_tuesday_2025_2030_is_skipped_with_its_reason() -> None:
    holidays = non_working_days(range(2025, 2031))
    for day, reason in HOLIDAY_TUESDAYS.items():
        spec = SeriesSpec(day, 14, time(13), time(16), 60, 15)
        (planned,) = plan_sessions(spec, day, day, holidays)
        assert planned.skipped_reason == reason, day
        assert planned.slots == ()
    tuesdays = {d for d in holidays if d.weekday() == 1}
    assert tuesdays == set(HOLIDAY_TUESDAYS)


def test_normal_tuesday_is_held() -> None:
    holidays = non_working_days([2027])
    spec = SeriesSpec(date(2027, 2, 9), 14, time(13), time(16), 60, 15)
    (planned,) = plan_sessions(spec, date(2027, 2, 9), date(2027, 2, 9), holidays)
    assert not planned.skipped
    assert len(planned.slots) == 2


def test_pause_period_skips_with_reason() -> None:
    pause = Pause(date(2027, 6, 21), date(2027, 8, 15), "sommaruppehåll")
    planned = plan_sessions(SPEC, date(2027, 6, 1), date(2027, 8, 31), {}, [pause])
    reasons = {p.local_date: p.skipped_reason for p in planned}
    assert reasons[date(2027, 6, 8)] is None
    assert reasons[date(2027, 6, 22)] == "sommaruppehåll"
    assert reasons[date(2027, 8, 3)] == "sommaruppehåll"
    assert reasons[date(2027, 8, 17)] is None


def test_working_days_skip_weekends_and_holidays() -> None:
    # Half days are working days for notice; only full holidays and weekends don't count.
    holidays = non_working_days([2026, 2027], include_half_days=False)
    # Monday 21 Dec 2026 + 5 working days: 22, 23, 28, 29, 30 (24-27 are holiday/weekend).
    assert add_working_days(date(2026, 12, 21), 5, holidays) == date(2026, 12, 30)


def test_bad_series_is_rejected() -> None:
    with pytest.raises(ValueError, match="end_time"):
        SeriesSpec(date(2027, 1, 1), 14, time(16), time(13), 60, 15)
    with pytest.raises(ValueError, match="interval_days"):
        SeriesSpec(date(2027, 1, 1), 0, time(13), time(16), 60, 15)
