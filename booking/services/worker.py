"""The worker loop: outbox delivery, RSVP sync, reminders, session horizon.

``flask --app wsgi forum worker`` runs ``Worker.run``; ``--once`` runs one tick (tests, cron).
Periodic jobs remember their last run in key_values, so several workers share one schedule.
Every job runs in its own unit of work; a failing job is logged and the loop goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from booking.clock import Clock
from booking.models import Forum, KeyValue
from booking.services.followup import points as followups
from booking.services.followup import retention, surveys
from booking.services.intake import requests as intake_requests
from booking.services.invitations import answers, outbox
from booking.services.invitations import delivery as invitations
from booking.services.invitations import reminders as rsvp_reminders
from booking.services.invitations.outbox import (
    MailPort,
    PermanentError,
    TransientError,
)
from booking.services.invitations.ports import CalendarPort
from booking.services.preparation import agenda
from booking.services.scheduling.sessions import extend_sessions

if TYPE_CHECKING:
    from booking.services.policies import Policies
    from config import Settings

log = logging.getLogger(__name__)

LAST_SYNC = "worker.last_rsvp_sync"
LAST_REMINDERS = "worker.last_reminders"
LAST_MAIL_REPLIES = "worker.last_mail_replies"
LAST_HORIZON = "worker.last_horizon"
REMINDER_EVERY = timedelta(minutes=15)
HORIZON_EVERY = timedelta(hours=24)
LAST_FOLLOW_THROUGH = "worker.last_follow_through"
FOLLOW_THROUGH_EVERY = timedelta(hours=1)
LAST_RETENTION = "worker.last_retention"
RETENTION_EVERY = timedelta(hours=24)
LAST_AGENDAS = "worker.last_agendas"
AGENDAS_EVERY = timedelta(minutes=15)


@dataclass(frozen=True)
class WorkerPolicy:
    """How often the worker polls and reads replies, and how far ahead it keeps sessions."""

    poll_seconds: float = 2.0
    rsvp_sync_seconds: int = 60  # the mailbox (IMAP)
    caldav_sync_seconds: int = 5  # the organizer's calendar (a cheap sync-token REPORT)
    horizon_months: int = 18
    agenda_working_days: int = 2  # the agenda mail, working days before the afternoon

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerPolicy:
        return cls(
            poll_seconds=settings.worker_poll_seconds,
            rsvp_sync_seconds=settings.rsvp_sync_seconds,
            caldav_sync_seconds=settings.caldav_sync_seconds,
            horizon_months=settings.session_horizon_months,
            agenda_working_days=settings.agenda_working_days,
        )


@dataclass
class WorkerSetup:
    """The worker's ports and its policies (the app's, built once from the settings: the
    invitations, outbox, RSVP, follow-through and worker policies are read from here)."""

    calendar_factory: Callable[[], CalendarPort | None]
    mailer: MailPort
    policies: Policies
    # The organizer's mailbox (IMAP), opened for each poll; None when no mailbox is set up.
    mailbox_factory: Callable[[], AbstractContextManager[answers.ReplyMailbox]] | None = None
    # Waits up to N seconds and returns early when work is queued (PostgreSQL LISTEN/NOTIFY,
    # booking.adapters.outbox_wakeup); None: the worker polls.
    wait_for_work: Callable[[float], bool] | None = None


@dataclass
class TickReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    replies: int = 0
    skipped_replies: int = 0
    reminders: int = 0
    sessions_created: int = 0
    surveys: int = 0
    followup_reminders: int = 0
    anonymised_cases: int = 0
    purged_requests: int = 0
    agendas: int = 0  # agenda mails queued (one per attending representative)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"delivered {self.delivered}, retried {self.retried}, failed {self.failed}, "
            f"replies {self.replies} (skipped {self.skipped_replies}), reminders {self.reminders}, "
            f"sessions created {self.sessions_created}, surveys {self.surveys}, "
            f"follow-up reminders {self.followup_reminders}, "
            f"anonymised cases {self.anonymised_cases}, "
            f"unconfirmed requests removed {self.purged_requests}, "
            f"agenda mails {self.agendas}"
        )


def _due(db: Session, key: str, now: datetime, every: timedelta) -> bool:
    row = db.get(KeyValue, key)
    if row is None or not row.value:
        return True
    try:
        last = datetime.fromisoformat(row.value)
    except ValueError:
        return True
    return now - last >= every or last > now


def _mark(db: Session, key: str, now: datetime) -> None:
    row = db.get(KeyValue, key)
    if row is None:
        db.add(KeyValue(key=key, value=now.isoformat(), updated_at=now))
    else:
        row.value = now.isoformat()
        row.updated_at = now
    db.commit()


class Worker:
    def __init__(self, session_factory: sessionmaker[Session], setup: WorkerSetup) -> None:
        self.session_factory = session_factory
        self.setup = setup
        self.calendar = setup.calendar_factory()  # one CalDAV session per worker
        self.handlers = invitations.handlers(
            calendar=self.calendar, mailer=setup.mailer, config=setup.policies.invitations
        )

    def deliver(self, now: datetime, report: TickReport, *, max_rounds: int = 100) -> None:
        """Deliver everything due, in batches (each batch claimed and leased together)."""
        for _ in range(max_rounds):
            with self.session_factory() as db:
                result = outbox.deliver_due(
                    db, self.handlers, now, self.setup.policies.outbox, limit=10
                )
            report.delivered += result.done
            report.retried += result.retried
            report.failed += result.failed
            report.errors.extend(result.errors)
            if not (result.done or result.retried or result.failed):
                return

    def sync_replies(self, now: datetime, report: TickReport, *, force: bool = False) -> None:
        """Answers written into the organizer's calendar copy (CalDAV sync token)."""
        calendar = self.calendar
        if calendar is None:
            return
        self._read_replies(
            now,
            report,
            force,
            LAST_SYNC,
            self.setup.policies.worker.caldav_sync_seconds,
            "RSVP sync",
            lambda db: answers.sync_caldav_replies(
                db, calendar, now, policy=self.setup.policies.rsvp
            ),
        )

    def mail_replies(self, now: datetime, report: TickReport, *, force: bool = False) -> None:
        """iMIP replies in the organizer's mailbox, as often as the CalDAV sync."""
        factory = self.setup.mailbox_factory
        if factory is None:
            return

        def read(db: Session) -> answers.ApplyReport:
            with factory() as mailbox:
                return answers.import_mailbox_replies(
                    db, mailbox, now, policy=self.setup.policies.rsvp
                )

        every = self.setup.policies.worker.rsvp_sync_seconds
        self._read_replies(now, report, force, LAST_MAIL_REPLIES, every, "mail replies", read)

    def _read_replies(
        self,
        now: datetime,
        report: TickReport,
        force: bool,
        last_key: str,
        every_seconds: int,
        label: str,
        read: Callable[[Session], answers.ApplyReport],
    ) -> None:
        """Every ``every_seconds``: a source of answers that is down is reported and asked
        again at the next poll; the other jobs run on."""

        def step(db: Session) -> bool:
            try:
                result = read(db)
            except (TransientError, PermanentError) as exc:
                db.rollback()
                report.errors.append(f"{label}: {exc}")
                log.warning("%s failed: %s", label, exc)
                return False
            report.replies += result.applied
            report.skipped_replies += result.skipped
            return True

        self._every(last_key, timedelta(seconds=every_seconds), now, force, step)

    def _every(
        self,
        key: str,
        every: timedelta,
        now: datetime,
        force: bool,
        step: Callable[[Session], bool | None],
    ) -> None:
        """Run ``step`` when ``every`` has passed since it last ran (or when forced), then
        note when it ran; a step that returns False is asked again at the next round."""
        with self.session_factory() as db:
            if not force and not _due(db, key, now, every):
                return
            if step(db) is not False:
                _mark(db, key, now)

    def reminders(self, now: datetime, report: TickReport, *, force: bool = False) -> None:
        def step(db: Session) -> None:
            report.reminders += rsvp_reminders.send_due_reminders(
                db,
                now,
                self.setup.policies.invitations,
                offsets=self.setup.policies.rsvp.reminder_working_days,
            )

        self._every(LAST_REMINDERS, REMINDER_EVERY, now, force, step)

    def horizon(self, now: datetime, report: TickReport, *, force: bool = False) -> None:
        def step(db: Session) -> None:
            for forum in db.scalars(select(Forum)).all():
                result = extend_sessions(
                    db, forum, now.date(), self.setup.policies.worker.horizon_months
                )
                report.sessions_created += result.created

        self._every(LAST_HORIZON, HORIZON_EVERY, now, force, step)

    def follow_through(self, now: datetime, report: TickReport, *, force: bool = False) -> None:
        """Hourly: NKI surveys that are due, follow-up reminders, cases moving to follow-up."""

        def step(db: Session) -> None:
            settings = self.setup.policies.followup
            report.surveys += surveys.send_due_surveys(db, now=now, settings=settings)
            report.followup_reminders += followups.send_followup_reminders(
                db, now=now, settings=settings
            )

        self._every(LAST_FOLLOW_THROUGH, FOLLOW_THROUGH_EVERY, now, force, step)

    def retention(self, now: datetime, report: TickReport, *, force: bool = False) -> None:
        """Daily: remove personal data of long-closed cases (off unless RETENTION_YEARS > 0)
        and requests from the public form that were never confirmed (always)."""

        def step(db: Session) -> None:
            result = retention.run_retention(db, now=now, settings=self.setup.policies.followup)
            report.anonymised_cases += len(result.cases)
            report.purged_requests += intake_requests.purge_unconfirmed(db, now)

        self._every(LAST_RETENTION, RETENTION_EVERY, now, force, step)

    def agendas(self, now: datetime, report: TickReport, *, force: bool = False) -> None:
        """Every quarter of an hour: the agenda of each forum afternoon that is due, to its
        attending representatives: each address once, whatever the number of workers, and
        a representative booked in after it went out at the next round."""

        def step(db: Session) -> None:
            report.agendas += agenda.send_due_agendas(
                db,
                now,
                self.setup.policies.invitations,
                working_days=self.setup.policies.worker.agenda_working_days,
            )

        self._every(LAST_AGENDAS, AGENDAS_EVERY, now, force, step)

    def tick(self, now: datetime, *, force: bool = False) -> TickReport:
        """One round of every job; ``force`` runs the periodic ones even when not due."""
        report = TickReport()
        jobs = (
            self.deliver,
            self.sync_replies,
            self.mail_replies,
            self.reminders,
            self.horizon,
            self.follow_through,
            self.retention,
            self.agendas,
            self.deliver,
        )
        for job in jobs:
            try:
                if job == self.deliver:
                    job(now, report)
                else:
                    job(now, report, force=force)  # type: ignore[call-arg]
            except Exception as exc:  # one failing job must not stop the others
                log.exception("worker job %s failed", getattr(job, "__name__", job))
                report.errors.append(f"{getattr(job, '__name__', job)}: {exc}")
        return report

    def _pause(self, stop: threading.Event, seconds: float) -> None:
        """Until the next round: the poll interval, cut short when work is queued (a waiter
        such as PostgreSQL's LISTEN/NOTIFY) or the worker is told to stop."""
        wait = self.setup.wait_for_work
        if wait is None or stop.is_set():
            stop.wait(seconds)
            return
        wait(seconds)

    def run(self, clock: Clock, stop: threading.Event, poll_seconds: float = 2.0) -> None:
        log.info("worker started")
        while not stop.is_set():
            report = self.tick(clock.now())
            if (
                report.delivered
                or report.replies
                or report.reminders
                or report.surveys
                or (report.followup_reminders or report.anonymised_cases or report.errors)
                or report.agendas
            ):
                log.info("worker: %s", report.summary())
            self._pause(stop, poll_seconds)
        log.info("worker stopped")

    def close(self) -> None:
        close = getattr(self.calendar, "close", None)
        if callable(close):
            close()
