"""The mails of a contact request, all to the business (wording in templates/)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from booking.models import ContactRequest, Department, Forum
from booking.services.invitations import outbox
from booking.services.mail.render import render
from booking.services.preparation import guides

# The languages the business's mails are written in (its choice on the form; Swedish else).
LANGUAGES = ("sv", "en")
# How soon the coordinator reads a request: what the acknowledgement promises.
ANSWER_WITHIN_WORKING_DAYS = 3


def _send(
    db: Session, request: ContactRequest, template: str, now: datetime, **values: object
) -> None:
    lang = request.language if request.language in LANGUAGES else "sv"
    mail = render(f"intake/{template}", lang, name=request.contact_name, **values)
    outbox.enqueue_email(
        db, now, to=request.contact_email, subject=mail.subject, text=mail.text, html=mail.html
    )


def confirm_link(
    db: Session, request: ContactRequest, forum: Forum, link: str, now: datetime
) -> None:
    _send(db, request, "request_confirm", now, forum=forum.name, link=link)


def acknowledgement(
    db: Session, request: ContactRequest, forum: Forum, link: str, now: datetime
) -> None:
    # What the departments will ask and what to bring (issue 14 §4), in the business's language.
    guide = guides.shown_guide(db, forum.id, request.category, request.language)
    _send(
        db,
        request,
        "request_received",
        now,
        forum=forum.name,
        org_name=request.org_name,
        link=link,
        working_days=ANSWER_WITHIN_WORKING_DAYS,
        ask=guide.ask,
        bring=guide.bring,
    )


def declined(
    db: Session, request: ContactRequest, forum: Forum, reason: str, now: datetime
) -> None:
    _send(db, request, "request_declined", now, forum=forum.name, reason=reason)


def accepted(
    db: Session, request: ContactRequest, forum: Forum, reference: str, now: datetime
) -> None:
    _send(db, request, "request_accepted", now, forum=forum.name, reference=reference)


def question(
    db: Session, request: ContactRequest, forum: Forum, text: str, link: str, now: datetime
) -> None:
    _send(db, request, "request_question", now, forum=forum.name, question=text, link=link)


def forwarded(
    db: Session,
    request: ContactRequest,
    forum: Forum,
    department: Department,
    details: str,
    now: datetime,
) -> None:
    """The business is told who takes over; the department gets the request itself."""
    _send(
        db, request, "request_forwarded", now, forum=forum.name, department=department.name,
        note=request.decision_note,
    )  # fmt: skip
    mail = render(
        "intake/request_handed_over",
        forum=forum.name,
        department=department.name,
        org_name=request.org_name,
        org_number=request.org_number,
        contact_name=request.contact_name,
        contact_email=request.contact_email,
        contact_phone=request.contact_phone,
        details=details,
        note=request.decision_note,
    )
    outbox.enqueue_email(
        db, now, to=department.email, subject=mail.subject, text=mail.text, html=mail.html
    )
