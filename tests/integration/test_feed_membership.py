"""The department and representative feeds' membership query (read from the attendee,
case-department and convener indexes) selects exactly the meetings of the rule it replaced:
an active attendee of the department or representative, or any attendee of a cancelled
meeting, or a department of the case, or the convener."""

from __future__ import annotations

from datetime import datetime

from feeds_helpers import book, cancel, department, first_rep
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import MeetingStatus
from booking.models import Attendee, CaseDepartment, Department, Meeting, Representative
from booking.services.feeds.membership import feed_query, window, window_params
from booking.services.feeds.policy import FeedConfig
from config import Settings


def _rule(kind: str, ident: int) -> object:
    def attends(condition: object) -> object:
        return exists().where(
            Attendee.meeting_id == Meeting.id,
            condition,  # type: ignore[arg-type]
            or_(Attendee.active.is_(True), Meeting.status == MeetingStatus.CANCELLED),
        )

    if kind == "department":
        return or_(
            attends(Attendee.department_id == ident),
            Meeting.case_id.in_(
                select(CaseDepartment.case_id).where(CaseDepartment.department_id == ident)
            ),
        )
    return or_(attends(Attendee.representative_id == ident), Meeting.convener_id == ident)


def test_membership_is_the_rule(seeded: Session, clock: object) -> None:
    now: datetime = clock.now()  # type: ignore[attr-defined]
    plain = book(seeded, now)
    cancelled = book(seeded, now)
    cancel(seeded, cancelled, now)
    replaced = book(seeded, now)
    miljo = department(seeded, "miljokontoret")
    deputy = next(r for r in miljo.representatives if r.is_deputy)
    for attendee in replaced.attendees:
        if attendee.department_id == miljo.id:
            attendee.active = False
    replaced.attendees.append(Attendee(representative=deputy, department=miljo, active=True))
    brand = department(seeded, "brandkar")
    guest = book(seeded, now)  # an attendee of a department the case does not name
    guest.attendees.append(Attendee(representative=first_rep(brand), department=brand))
    convened = book(seeded, now)  # convened by someone who does not attend
    convened.convener_id = first_rep(brand).id
    seeded.commit()
    ours = {plain.id, cancelled.id, replaced.id, guest.id, convened.id}

    config = FeedConfig.from_settings(Settings())
    params = window_params(now, config)
    conn = seeded.connection()
    checked = 0
    for kind, model in (("department", Department), ("representative", Representative)):
        for ident in seeded.scalars(select(model.id)):
            got = [row[0] for row in conn.execute(feed_query(kind), {"ident": ident, **params})]
            want = list(
                seeded.scalars(
                    select(Meeting.id)
                    .where(and_(_rule(kind, ident), window()))  # type: ignore[arg-type]
                    .order_by(Meeting.starts_at, Meeting.id),
                    params,
                )
            )
            assert got == want, (kind, ident)
            checked += bool(set(want) & ours)
    assert checked >= 6  # the cases above are in several departments' and people's feeds
