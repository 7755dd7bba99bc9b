"""The RSVP rules: reminders at working-day offsets, reply counts, when a meeting is confirmed."""

from __future__ import annotations

from datetime import UTC, datetime

from booking.domain import rsvp as rules


def test_due_offsets_rules() -> None:
    start = datetime(2027, 1, 12, 12, tzinfo=UTC)  # Tuesday after trettondedag jul (6 Jan)
    closed = {datetime(2027, 1, 6).date()}
    # 5 working days before Tue 12 Jan, skipping Wed 6 Jan: Mon 4 Jan.
    assert rules.working_days_before(start.date(), 5, closed).isoformat() == "2027-01-04"
    common = {
        "meeting_start": start,
        "invited_at": datetime(2026, 12, 1, tzinfo=UTC),
        "offsets": (5, 2),
        "timezone": "Europe/Stockholm",
        "closed": closed,
    }
    assert (
        rules.due_offsets(now=datetime(2027, 1, 4, 6, 59, tzinfo=UTC), already_sent=[], **common)
        == []
    )
    assert rules.due_offsets(
        now=datetime(2027, 1, 4, 7, 0, tzinfo=UTC), already_sent=[], **common
    ) == [5]
    assert rules.due_offsets(
        now=datetime(2027, 1, 11, 9, tzinfo=UTC), already_sent=[5], **common
    ) == [2]
    late = {**common, "invited_at": datetime(2027, 1, 5, tzinfo=UTC)}
    assert rules.due_offsets(now=datetime(2027, 1, 11, 9, tzinfo=UTC), already_sent=[], **late) == [
        2
    ]


def test_reply_count_and_confirmation_rules() -> None:
    answers = [
        rules.AttendeeAnswer(1, True, "ACCEPTED"),
        rules.AttendeeAnswer(2, True, "DECLINED"),
        rules.AttendeeAnswer(3, True, "NEEDS-ACTION"),
        rules.AttendeeAnswer(3, False, "ACCEPTED"),
    ]
    count = rules.reply_count(answers)
    assert (count.replied, count.total, count.all_replied) == (2, 3, False)
    assert count.label() == "2 av 3 har svarat (2 of 3 replied)"
    assert not rules.is_confirmed({1, 2, 3}, answers)
    assert rules.is_confirmed({1}, answers)
    assert not rules.is_confirmed(set(), answers)
