"""The personal RSVP link ``/r/<token>``: see the meeting, accept or decline.

GET only shows (mail scanners open links); the answer is a POST to the same URL.
"""

from __future__ import annotations

from flask import abort, render_template, request

from booking.domain.visibility import Audience, is_municipal
from booking.domain.vocabulary import LIVE_MEETING, MeetingStatus
from booking.ical.event import department_names, location, summary
from booking.public import public_bp
from booking.public.messages import public_message
from booking.services.audit import Actor
from booking.services.errors import ServiceError
from booking.services.invitations import replies as rsvp_service
from booking.services.invitations.links import attendee_by_token
from booking.services.invitations.texts import local_when, why_not_invited
from booking.web_support import get_db, now, policies

ANSWERS = {"accept": "ACCEPTED", "decline": "DECLINED", "tentative": "TENTATIVE"}
ANSWER_LABELS = {
    "ACCEPTED": "Du har tackat ja / You accepted",
    "DECLINED": "Du har tackat nej / You declined",
    "TENTATIVE": "Du har svarat preliminärt / You replied tentatively",
    "NEEDS-ACTION": "Du har inte svarat än / You have not replied yet",
}


def _page(token: str, *, message: str = "", error: str = "", status: int = 200) -> tuple[str, int]:
    attendee = attendee_by_token(get_db(), token)
    if attendee is None:
        abort(404)
    meeting = attendee.meeting
    open_for_answers = meeting.status in LIVE_MEETING and attendee.active
    html = render_template(
        "public/rsvp.html",
        token=token,
        title=summary(meeting, Audience.ATTENDEE, is_municipal(attendee.department.kind)),
        when=local_when(meeting),
        where=location(meeting),
        departments=department_names(meeting),
        convener=meeting.convener.name if meeting.convener else "",
        representative=attendee.representative.name,
        department=attendee.department.name,
        answer=ANSWER_LABELS.get(attendee.partstat.value, attendee.partstat.value),
        cancelled=meeting.status == MeetingStatus.CANCELLED,
        replaced=not attendee.active,
        why=why_not_invited(meeting, attendee),
        open_for_answers=open_for_answers,
        count=rsvp_service.reply_count(meeting).label(),
        message=message,
        error=error,
    )
    return html, status


@public_bp.get("/r/<token>")
def rsvp_page(token: str) -> tuple[str, int]:
    return _page(token)


@public_bp.post("/r/<token>")
def rsvp_answer(token: str) -> tuple[str, int]:
    db = get_db()
    attendee = attendee_by_token(db, token)
    if attendee is None:
        abort(404)
    answer = ANSWERS.get(request.form.get("answer", ""))
    if answer is None:
        return _page(token, error="Välj ja eller nej / Choose accept or decline.", status=422)
    policy = policies().rsvp
    try:
        rsvp_service.record_reply(
            db,
            attendee,
            answer,
            "link",
            now(),
            actor=Actor(f"rsvp-link:{attendee.representative.email}"),
            note=request.form.get("note", "")[:500],
            policy=policy,
        )
    except ServiceError as exc:
        db.rollback()
        return _page(token, error=public_message(exc), status=409)
    return _page(token, message="Tack för ditt svar! / Thank you for your reply.")
