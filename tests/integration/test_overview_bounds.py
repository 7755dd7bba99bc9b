"""Lists cost what they show (issue 16): "Mina möten" lists the nearest meetings, up to a bound,
soonest first, however many a representative has been invited to."""

from __future__ import annotations

from datetime import timedelta

from invitation_data import book_meeting, make_world
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.services.meetings.overview import meetings_of_representatives


def test_my_meetings_lists_the_nearest_up_to_the_bound(db: Session, clock: FixedClock) -> None:
    world = make_world(db, slots=5)
    meetings = [book_meeting(db, world, clock.now(), slot_index=i) for i in (3, 0, 4, 1, 2)]
    anna = world.reps["anna"].id
    since = clock.now() - timedelta(days=1)
    every = meetings_of_representatives(db, [anna], since)
    assert len(every) == 5
    nearest = meetings_of_representatives(db, [anna], since, limit=2)
    starts = sorted(m.starts_at for m in meetings)[:2]
    assert [a.meeting.starts_at for a in nearest] == starts
