"""Contact requests (issue 14): a business asks for a meeting on the public form, or anyone in
the municipality passes a contact on.

A public request reaches the coordinator's queue only once the business has clicked the link
mailed to it (so nobody can send requests in someone else's name), and each address may send
only a few an hour (counted in the database, shared by every worker). Whoever passes a contact
on records how the business agreed to it. Both get a link to follow the request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field, field_validator
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from booking.domain import cases as case_rules
from booking.domain.vocabulary import (
    BUSINESS_CATEGORIES,
    REQUEST_QUESTIONS,
    CaseCategory,
    RequestSource,
    RequestStatus,
)
from booking.models import ContactRequest, Forum, User
from booking.services import audit
from booking.services.access.login_rate import register_attempt
from booking.services.access.tokens import hash_token
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.inputs import Email, Input, Line, Text, parse
from booking.services.intake import mails

# Each address may send this many requests an hour from the public form.
PUBLIC_LIMIT = 5
PUBLIC_WINDOW_SECONDS = 3600
MAX_DESCRIPTION = 4000
# An unconfirmed request (nobody clicked the mailed link) is removed after this long: the
# confirmation mail promises that nothing more is kept of a request the business did not send.
UNCONFIRMED_KEPT = timedelta(days=7)
# A request the coordinator can still act on.
OPEN = (RequestStatus.NEW, RequestStatus.ASKED)


class RequestInput(Input):
    category: CaseCategory
    description: Text = Field(min_length=1, max_length=MAX_DESCRIPTION)
    place: Line = Field(default="", max_length=300)
    start_hope: Line = Field(default="", max_length=200)
    org_name: Line = Field(min_length=1, max_length=300)
    org_number: Line = Field(default="", max_length=20)
    contact_name: Line = Field(min_length=1, max_length=200)
    contact_email: Email = Field(min_length=3, max_length=320)
    contact_phone: Line = Field(default="", max_length=64)
    questions: list[str] = Field(default_factory=list, max_length=len(REQUEST_QUESTIONS))
    preferred_dates: list[str] = Field(default_factory=list, max_length=10)
    language: str = Field(default="sv", pattern="^(sv|en)$")

    @field_validator("category")
    @classmethod
    def _business_category(cls, value: CaseCategory) -> CaseCategory:
        if value not in BUSINESS_CATEGORIES:
            raise ValueError("choose a new establishment, a major change or an event")
        return value

    @field_validator("org_number")
    @classmethod
    def _org(cls, value: str) -> str:
        return case_rules.normalise_org_number(value) if value.strip() else ""

    @field_validator("questions")
    @classmethod
    def _questions(cls, value: list[str]) -> list[str]:
        unknown = [q for q in value if q not in REQUEST_QUESTIONS]
        if unknown:
            raise ValueError(f"unknown question {unknown[0]!r}")
        return list(dict.fromkeys(value))

    @field_validator("preferred_dates")
    @classmethod
    def _dates(cls, value: list[str]) -> list[str]:
        for day in value:
            datetime.strptime(day, "%Y-%m-%d")
        return value


@dataclass(frozen=True)
class Sent:
    request: ContactRequest
    follow_token: str
    confirm_token: str = ""


def _forum(db: Session, slug: str) -> Forum:
    forum = db.scalar(select(Forum).where(Forum.slug == slug))
    if forum is None:
        raise NotFound(f"No forum {slug!r}.", {"forum": slug})
    return forum


def _new(forum: Forum, data: RequestInput, source: RequestSource) -> tuple[ContactRequest, str]:
    follow = secrets.token_urlsafe(24)
    request = ContactRequest(
        forum_id=forum.id,
        source=source,
        category=data.category,
        description=data.description,
        place=data.place,
        start_hope=data.start_hope,
        org_name=data.org_name,
        org_number=data.org_number,
        contact_name=data.contact_name,
        contact_email=data.contact_email,
        contact_phone=data.contact_phone,
        questions=data.questions,
        preferred_dates=data.preferred_dates,
        language=data.language,
        follow_token_hash=hash_token(follow),
    )
    return request, follow


def submit_public(
    db: Session,
    forum_slug: str,
    raw: RequestInput | dict[str, object],
    address: str,
    now: datetime,
    base_url: str,
) -> Sent:
    """A business's own request: stored unconfirmed, a confirmation link mailed. Commits.
    Conflict (too_many_requests) past the limit for the address."""
    data = parse(RequestInput, raw)
    forum = _forum(db, forum_slug)
    verdict = register_attempt(
        db, f"intake:{address}", now=now, limit=PUBLIC_LIMIT, window_seconds=PUBLIC_WINDOW_SECONDS
    )
    if not verdict.allowed:
        raise Conflict(
            "Too many requests from this address; try again later.",
            {"retry_after": verdict.retry_after},
            reason="too_many_requests",
        )
    request, follow = _new(forum, data, RequestSource.PUBLIC)
    confirm = secrets.token_urlsafe(24)
    request.confirm_token_hash = hash_token(confirm)
    request.consent_at = now
    db.add(request)
    db.flush()
    mails.confirm_link(db, request, forum, f"{base_url}/forum/{forum.slug}/boka/{confirm}", now)
    db.commit()
    return Sent(request, follow, confirm)


def confirm(db: Session, token: str, now: datetime, base_url: str) -> ContactRequest:
    """The business clicked the link: the request enters the queue, and the business gets
    the acknowledgement with its follow link. A second click changes nothing. Commits."""
    if not token or len(token) > 100:
        raise NotFound("No such request.")
    request = db.scalar(
        select(ContactRequest).where(ContactRequest.confirm_token_hash == hash_token(token))
    )
    if request is None:
        raise NotFound("No such request.")
    if request.status != RequestStatus.UNCONFIRMED:
        return request
    follow = secrets.token_urlsafe(24)  # a fresh follow link, mailed once
    request.follow_token_hash = hash_token(follow)
    request.status = RequestStatus.NEW
    request.confirmed_at = now
    forum = db.get(Forum, request.forum_id)
    assert forum is not None
    mails.acknowledgement(db, request, forum, f"{base_url}/foretag/{follow}", now)
    audit.record(db, audit.Actor.system("intake"), "request", request.id, "confirm", at=now)
    db.commit()
    return request


def submit_staff(
    db: Session,
    forum_slug: str,
    raw: RequestInput | dict[str, object],
    user: User,
    consent_note: str,
    now: datetime,
    base_url: str,
) -> Sent:
    """Someone in the municipality passes a contact on ("förmedla en kontakt"): it goes
    straight to the queue; the business gets the acknowledgement. Commits."""
    data = parse(RequestInput, raw)
    if not consent_note.strip():
        raise Invalid(
            "Say how the business agreed to be contacted (e.g. by phone, 3 Dec).",
            {"consent_note": "required"},
            reason="consent_note_required",
        )
    forum = _forum(db, forum_slug)
    request, follow = _new(forum, data, RequestSource.STAFF)
    request.status = RequestStatus.NEW
    request.passed_on_by_id = user.id
    request.consent_at = now
    request.consent_note = consent_note.strip()[:300]
    request.confirmed_at = now
    db.add(request)
    db.flush()
    mails.acknowledgement(db, request, forum, f"{base_url}/foretag/{follow}", now)
    audit.record(db, audit.Actor.of(user), "request", request.id, "pass_on", at=now)
    db.commit()
    return Sent(request, follow)


def by_follow_token(db: Session, token: str) -> ContactRequest:
    if not token or len(token) > 100:
        raise NotFound("No such request.")
    request = db.scalar(
        select(ContactRequest).where(ContactRequest.follow_token_hash == hash_token(token))
    )
    if request is None or request.status == RequestStatus.UNCONFIRMED:
        raise NotFound("No such request.")
    return request


def passed_on_by(
    db: Session, user_id: int, *, limit: int = 100, offset: int = 0
) -> list[ContactRequest]:
    """The contacts the user passed on, newest first; at most ``limit`` after ``offset``."""
    return list(
        db.scalars(
            select(ContactRequest)
            .where(ContactRequest.passed_on_by_id == user_id)
            .order_by(ContactRequest.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def claim(
    db: Session,
    request_id: int,
    status: RequestStatus,
    actor: audit.Actor,
    now: datetime,
    *,
    decides: bool = True,
) -> None:
    """Move an open request (new, or waiting for the business's answer) on, once: a second
    coordinator at the same moment gets Conflict. ``decides=False`` (a question to the
    business) moves it without recording a decision: the request comes back to the queue."""
    values: dict[str, object] = {"status": status}
    if decides:
        values |= {"decided_at": now, "decided_by": actor.label}
    done = db.execute(
        update(ContactRequest)
        .where(ContactRequest.id == request_id, ContactRequest.status.in_(OPEN))
        .values(**values)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        if db.get(ContactRequest, request_id) is None:
            raise NotFound(f"No request with id {request_id}.", {"request_id": request_id})
        raise Conflict("The request has already been handled.", reason="request_handled")


def purge_unconfirmed(db: Session, now: datetime) -> int:
    """Delete requests whose link was never clicked, once UNCONFIRMED_KEPT has passed.
    Returns how many. Commits."""
    done = db.execute(
        delete(ContactRequest).where(
            ContactRequest.status == RequestStatus.UNCONFIRMED,
            ContactRequest.created_at < now - UNCONFIRMED_KEPT,
        )
    )
    db.commit()
    return int(done.rowcount or 0)  # type: ignore[attr-defined]
