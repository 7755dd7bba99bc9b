"""Busy periods read from a VFREEBUSY answer (the free/busy port's parser, no server)."""

from __future__ import annotations

from datetime import UTC, datetime

from booking.adapters.caldav_gateway import _has_busy_period

REPLY = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REPLY\r\nBEGIN:VFREEBUSY\r\nUID:1\r\n"
    "DTSTAMP:20261128T000000Z\r\nDTSTART:20261215T000000Z\r\nDTEND:20261216T000000Z\r\n"
    "FREEBUSY;FBTYPE=BUSY:20261215T120000Z/20261215T130000Z,20261215T150000Z/PT1H\r\n"
    "FREEBUSY;FBTYPE=FREE:20261215T180000Z/PT1H\r\n"
    "END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 15, hour, minute, tzinfo=UTC)


def test_busy_periods_are_read_from_a_vfreebusy_answer() -> None:
    assert _has_busy_period(REPLY, at(12, 30), at(13, 30))
    assert not _has_busy_period(REPLY, at(13), at(14))  # touching is not overlapping
    assert _has_busy_period(REPLY, at(15, 30), at(15, 45))  # a DURATION period
    assert not _has_busy_period(REPLY, at(18), at(19))  # FBTYPE=FREE
    assert not _has_busy_period("not a calendar", at(12), at(13))
