"""The outbox: work that must happen after a commit (CalDAV writes, e-mail), done by the worker.

A service writes an OutboxMessage in the same transaction as its change. The worker claims
due messages (FOR UPDATE SKIP LOCKED on PostgreSQL, plus a compare-and-set on the row so two
workers never take the same one on any database), runs the handler for the message's kind,
and marks it done, or schedules a retry with exponential backoff.

A claim is a lease: a worker killed in the middle leaves the row "running" with a
``next_attempt_at`` in the near future; when that lease runs out, any worker takes it again.
Handlers are idempotent (CalDAV writes compare a fingerprint and use If-Match/If-None-Match;
e-mail handlers record each recipient as delivered right after sending), so a retry neither
loses nor repeats an invitation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.orm import Session

from booking.models import OutboxMessage

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger(__name__)

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
EMAIL = "email"


class TransientError(Exception):
    """Delivery failed for a reason that may pass (server down, timeout, 5xx): retry later."""


class PermanentError(Exception):
    """Delivery cannot succeed as it stands (the server rejects the data): do not retry."""


@dataclass(frozen=True)
class OutgoingMail:
    """One e-mail, transport-neutral; the mailer adapter turns it into MIME and sends it."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str = ""
    ics: bytes | None = None
    ics_method: str | None = None  # REQUEST/CANCEL: an iMIP message (RFC 6047)
    message_id: str = ""  # stable per message, so a repeated send can be recognised
    reply_to: str = ""
    date: datetime | None = None  # the Date header: the worker's clock, not the wall clock


class MailPort(Protocol):
    def send(self, mail: OutgoingMail) -> None: ...


Handler = Callable[[Session, OutboxMessage, datetime], None]


@dataclass(frozen=True)
class OutboxPolicy:
    lease_seconds: int = 300
    max_attempts: int = 12
    backoff_base_seconds: int = 30
    backoff_max_seconds: int = 3600

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboxPolicy:
        return cls(
            lease_seconds=settings.outbox_lease_seconds,
            max_attempts=settings.outbox_max_attempts,
        )


@dataclass
class DeliveryReport:
    done: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def enqueue(
    db: Session,
    kind: str,
    payload: Mapping[str, Any],
    now: datetime,
    *,
    meeting_id: int | None = None,
    coalesce: bool = False,
) -> OutboxMessage:
    """Add work to the current unit of work (the caller commits).

    ``coalesce``: reuse a pending message of the same kind for the same meeting, since the
    handler always works from the meeting's current state.
    """
    if coalesce and meeting_id is not None:
        existing = db.scalar(
            select(OutboxMessage).where(
                OutboxMessage.kind == kind,
                OutboxMessage.meeting_id == meeting_id,
                OutboxMessage.status == PENDING,
            )
        )
        if existing is not None:
            existing.next_attempt_at = min(existing.next_attempt_at, now)
            wake_workers(db)
            return existing
    wake_workers(db)
    message = OutboxMessage(
        kind=kind,
        payload=dict(payload),
        meeting_id=meeting_id,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.add(message)
    return message


# The channel a waiting worker listens on (booking.adapters.outbox_wakeup).
WAKEUP_CHANNEL = "dorren_outbox"


def wake_workers(db: Session) -> None:
    """On PostgreSQL, tell waiting workers there is work: NOTIFY is sent at the commit and
    dropped with a rollback, so a worker never wakes for work that was not written. Other
    databases rely on the worker's poll."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text(f"NOTIFY {WAKEUP_CHANNEL}"))


def enqueue_email(
    db: Session,
    now: datetime,
    *,
    to: list[str] | str,
    subject: str,
    text: str,
    html: str = "",
    ics: bytes | str | None = None,
    meeting_id: int | None = None,
) -> OutboxMessage:
    """The generic e-mail kind: {to, subject, text, html, ics?} (minutes, reminders, surveys)."""
    payload: dict[str, Any] = {
        "to": [to] if isinstance(to, str) else list(to),
        "subject": subject,
        "text": text,
        "html": html,
    }
    if ics is not None:
        payload["ics"] = ics.decode() if isinstance(ics, bytes) else ics
    return enqueue(db, EMAIL, payload, now, meeting_id=meeting_id)


def backoff(attempts: int, policy: OutboxPolicy) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... capped at an hour (attempts counts the failed tries)."""
    seconds = policy.backoff_base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, policy.backoff_max_seconds))


def _due(now: datetime) -> Any:
    return and_(
        or_(OutboxMessage.status == PENDING, OutboxMessage.status == RUNNING),
        OutboxMessage.next_attempt_at <= now,
    )


def claim(
    db: Session,
    now: datetime,
    policy: OutboxPolicy,
    *,
    limit: int = 10,
    kinds: list[str] | None = None,
) -> list[int]:
    """Take up to ``limit`` due messages for this worker; commits. Returns their ids."""
    query = (
        select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.next_attempt_at)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if kinds:
        query = query.where(OutboxMessage.kind.in_(kinds))
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = db.execute(query).all()
    claimed: list[int] = []
    lease_until = now + timedelta(seconds=policy.lease_seconds)
    for row in candidates:
        # Compare-and-set: only if nobody took it since we looked (SQLite has no SKIP LOCKED).
        result = db.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row.id,
                OutboxMessage.status == row.status,
                OutboxMessage.next_attempt_at == row.next_attempt_at,
            )
            .values(
                status=RUNNING,
                attempts=OutboxMessage.attempts + 1,
                next_attempt_at=lease_until,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            claimed.append(row.id)
    db.commit()
    db.expire_all()  # the rows changed behind the ORM's back (expire_on_commit is off)
    return claimed


def complete(db: Session, message: OutboxMessage, now: datetime) -> None:
    message.status = DONE
    message.done_at = now
    message.last_error = ""
    db.commit()


def record_failure(
    db: Session,
    message: OutboxMessage,
    error: str,
    now: datetime,
    policy: OutboxPolicy,
    *,
    permanent: bool,
) -> bool:
    """Schedule a retry, or give up. Returns True when the message is now failed for good."""
    message.last_error = error[:2000]
    if permanent or message.attempts >= policy.max_attempts:
        message.status = FAILED
        message.done_at = now
        db.commit()
        return True
    message.status = PENDING
    message.next_attempt_at = now + backoff(message.attempts, policy)
    db.commit()
    return False


def deliver_due(
    db: Session,
    handlers: Mapping[str, Handler],
    now: datetime,
    policy: OutboxPolicy,
    *,
    limit: int = 50,
    on_failure: Callable[[Session, OutboxMessage, str, bool], None] | None = None,
) -> DeliveryReport:
    """Claim and run due messages once. Each message runs in its own unit of work."""
    report = DeliveryReport()
    for message_id in claim(db, now, policy, limit=limit, kinds=list(handlers)):
        message = db.get(OutboxMessage, message_id)
        if message is None:
            continue
        try:
            handlers[message.kind](db, message, now)
        except (TransientError, PermanentError) as exc:
            db.rollback()
            message = db.get(OutboxMessage, message_id)
            assert message is not None
            permanent = isinstance(exc, PermanentError)
            gave_up = record_failure(db, message, str(exc), now, policy, permanent=permanent)
            report.failed += gave_up
            report.retried += not gave_up
            report.errors.append(f"{message.kind} #{message.id}: {exc}")
            log.warning("outbox %s #%s: %s", message.kind, message.id, exc)
            if on_failure is not None:
                on_failure(db, message, str(exc), gave_up)
            continue
        except Exception as exc:  # a bug must not stop the worker; the message is retried
            db.rollback()
            log.exception("outbox %s #%s crashed", message.kind, message_id)
            message = db.get(OutboxMessage, message_id)
            assert message is not None
            gave_up = record_failure(
                db, message, f"{type(exc).__name__}: {exc}", now, policy, permanent=False
            )
            report.failed += gave_up
            report.retried += not gave_up
            report.errors.append(f"{message.kind} #{message.id}: {exc}")
            continue
        message = db.get(OutboxMessage, message_id)
        assert message is not None
        complete(db, message, now)
        report.done += 1
    return report


def email_handler(mailer: MailPort, mail_domain: str) -> Handler:
    """Handler for the generic ``email`` kind."""

    def handle(db: Session, message: OutboxMessage, now: datetime) -> None:
        p = message.payload
        ics = p.get("ics")
        ics_bytes = ics.encode() if isinstance(ics, str) else None
        method = _ics_method(ics_bytes) if ics_bytes else None
        mailer.send(
            OutgoingMail(
                to=tuple(p.get("to") or ()),
                subject=str(p.get("subject", "")),
                text=str(p.get("text", "")),
                html=str(p.get("html", "")),
                ics=ics_bytes,
                ics_method=method,
                message_id=f"<outbox-{message.id}@{mail_domain}>",
                date=now,
            )
        )

    return handle


def _ics_method(data: bytes) -> str | None:
    for line in data.splitlines():
        if line.upper().startswith(b"METHOD:"):
            return line.split(b":", 1)[1].strip().decode().upper()
    return None


def counts(db: Session) -> dict[str, int]:
    """Messages per status (for the worker's log line and the health of the queue)."""
    rows = db.execute(select(OutboxMessage.status, OutboxMessage.id)).all()
    result: dict[str, int] = {}
    for status, _ in rows:
        result[status] = result.get(status, 0) + 1
    return result
