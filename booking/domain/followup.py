"""Follow-up points: their shown status and when an owner is reminded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

OPEN = "open"
DONE = "done"
OVERDUE = "overdue"


def point_status(stored: str, due: date, today: date) -> str:
    """Done stays done; an open point whose due date has passed is overdue."""
    if stored == DONE:
        return DONE
    return OVERDUE if due < today else OPEN


@dataclass(frozen=True)
class ReminderDecision:
    send: int | None  # the offset (days before due) to remind for now, if any
    skip: tuple[int, ...]  # offsets that will never be sent (already passed); mark them handled


def reminder_due(
    due: date,
    today: date,
    offsets: Iterable[int],
    handled: Iterable[int],
    created_on: date,
) -> ReminderDecision:
    """Which reminder to send today.

    An offset is passed when its reminder day came before the point existed (a point created
    three days before its due date never gets the "seven days" reminder), or when a smaller,
    more urgent offset is also due (after a worker pause the owner gets one reminder, the most
    urgent one). Nothing is sent on or after the due day; the overdue list takes over then.
    """
    done = set(handled)
    pending = sorted({o for o in offsets if o > 0} - done, reverse=True)
    if today >= due:
        return ReminderDecision(None, tuple(pending))
    reached = [o for o in pending if due - timedelta(days=o) <= today]
    passed = [o for o in reached if due - timedelta(days=o) < created_on]
    live = [o for o in reached if o not in passed]
    if not live:
        return ReminderDecision(None, tuple(passed))
    most_urgent = min(live)
    skip = tuple(o for o in reached if o != most_urgent)
    return ReminderDecision(most_urgent, skip)
