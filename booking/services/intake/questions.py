"""A question to the business before the coordinator decides (issue 14 §3): the coordinator
asks, the business answers through a link in the mail, and the request is back in the queue
with the answer beside it.

The answer link needs no stored token: it is derived from SECRET_KEY and the request and
question ids (booking.services.access.tokens), and works while that question is the open one.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booking.domain.vocabulary import MessageSender, RequestStatus
from booking.models import ContactRequest, Forum, RequestMessage
from booking.services import audit
from booking.services.access.tokens import derive_token
from booking.services.errors import Invalid, NotFound
from booking.services.intake import mails, requests

MAX_MESSAGE = 4000


def thread(db: Session, request_id: int) -> list[RequestMessage]:
    """The questions and answers of a request, oldest first."""
    return list(
        db.scalars(
            select(RequestMessage)
            .where(RequestMessage.request_id == request_id)
            .order_by(RequestMessage.created_at, RequestMessage.id)
        )
    )


def answer_token(secret_key: str, request_id: int, question_id: int) -> str:
    return derive_token(secret_key, f"request-answer:{request_id}:{question_id}")


def answer_path(secret_key: str, request_id: int, question_id: int) -> str:
    token = answer_token(secret_key, request_id, question_id)
    return f"/foretag/svar/{request_id}/{question_id}/{token}"


def _checked_text(text: str, field: str) -> str:
    body = text.strip()
    if not body:
        raise Invalid("Write the text first.", {field: "required"}, reason="message_required")
    if len(body) > MAX_MESSAGE:
        raise Invalid(
            f"At most {MAX_MESSAGE} characters.", {field: "too_long"}, reason="message_too_long"
        )
    return body


def ask(
    db: Session,
    request_id: int,
    question: str,
    actor: audit.Actor,
    now: datetime,
    *,
    base_url: str,
    secret_key: str,
) -> RequestMessage:
    """Ask the business; the request waits for its answer (status asked). Commits."""
    body = _checked_text(question, "question")
    requests.claim(db, request_id, RequestStatus.ASKED, actor, now, decides=False)
    request = db.get(ContactRequest, request_id)
    assert request is not None
    db.refresh(request)
    message = RequestMessage(
        request_id=request_id, sender=MessageSender.COORDINATOR, author=actor.label, body=body
    )
    db.add(message)
    db.flush()
    forum = db.get(Forum, request.forum_id)
    assert forum is not None
    link = base_url + answer_path(secret_key, request_id, message.id)
    mails.question(db, request, forum, body, link, now)
    audit.record(db, actor, "request", request_id, "ask", note=body, at=now)
    db.commit()
    return message


def open_question(
    db: Session, request_id: int, question_id: int, token: str, secret_key: str
) -> tuple[ContactRequest, RequestMessage]:
    """The request and the question an answer link points at, while it awaits an answer;
    NotFound for a wrong token, an answered or superseded question, or a decided request."""
    expected = answer_token(secret_key, request_id, question_id)
    if not hmac.compare_digest(expected.encode(), token.encode()):
        raise NotFound("No such question.")
    request = db.get(ContactRequest, request_id)
    if request is None or request.status != RequestStatus.ASKED:
        raise NotFound("No such question.")
    messages = thread(db, request_id)
    if not messages or messages[-1].id != question_id:
        raise NotFound("No such question.")  # answered already, or a newer question replaced it
    return request, messages[-1]


def answer(
    db: Session,
    request_id: int,
    question_id: int,
    token: str,
    text: str,
    now: datetime,
    *,
    secret_key: str,
) -> ContactRequest:
    """The business answers; the request is back in the coordinator's queue. Commits."""
    request, _question = open_question(db, request_id, question_id, token, secret_key)
    body = _checked_text(text, "answer")
    done = db.execute(
        update(ContactRequest)
        .where(ContactRequest.id == request_id, ContactRequest.status == RequestStatus.ASKED)
        .values(status=RequestStatus.NEW)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound("No such question.")
    db.add(
        RequestMessage(
            request_id=request_id,
            sender=MessageSender.BUSINESS,
            author=request.contact_email,
            body=body,
        )
    )
    audit.record(db, audit.Actor.system("business"), "request", request_id, "answer", at=now)
    db.commit()
    db.refresh(request)
    return request
