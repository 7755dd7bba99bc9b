"""Retention (gallring) of personal data, run by the worker. Off unless RETENTION_YEARS > 0.

For a case closed (or cancelled) more than N years ago it removes the customer's personal data:
organisation name, contact name, e-mail and phone, organisation number (a sole trader's is a
personnummer), the free-text description, customer participants and survey comments, the
survey's recipient and token, the e-mails still in the outbox, the documents the business
uploaded (issue 14 §4: drawings, menus, plans), and those values in the audit trail's snapshots.
What the statistics use stays: category, dates, statuses, departments, replies, NKI scores.
Minutes, decisions and follow-up points are records the municipality keeps under its
dokumenthanteringsplan (research notes §4.4), so only the customer's names are removed there.
The run is audited and returns a report of what it removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import CaseStatus
from booking.models import AuditEvent, Case, Meeting, Minutes, OutboxMessage, Survey, SurveyAnswer
from booking.services import audit
from booking.services.audit import Actor
from booking.services.followup.policy import FollowupPolicy
from booking.services.meetings import events as meeting_events
from booking.services.preparation import documents

REMOVED = "[gallrad]"
CASE_FIELDS = ("contact_name", "contact_email", "contact_phone", "org_number", "description")
# Keys in audit snapshots that may hold the customer's personal data.
AUDIT_KEYS = frozenset(
    {*CASE_FIELDS, "org_name", "customer_present", "comment", "to", "email", "filename"}
)


@dataclass
class RetentionReport:
    enabled: bool
    cutoff: datetime | None = None
    cases: list[str] = field(default_factory=list)  # references of the anonymised cases
    case_fields: int = 0
    survey_comments: int = 0
    survey_recipients: int = 0
    minutes_customer_names: int = 0
    outbox_messages: int = 0
    audit_snapshots: int = 0
    documents: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "cases": self.cases,
            "case_fields": self.case_fields,
            "survey_comments": self.survey_comments,
            "survey_recipients": self.survey_recipients,
            "minutes_customer_names": self.minutes_customer_names,
            "outbox_messages": self.outbox_messages,
            "audit_snapshots": self.audit_snapshots,
            "documents": self.documents,
        }


def run_retention(db: Session, *, now: datetime, settings: FollowupPolicy) -> RetentionReport:
    if settings.retention_years <= 0:
        return RetentionReport(enabled=False)
    cutoff = now - relativedelta(years=settings.retention_years)
    report = RetentionReport(enabled=True, cutoff=cutoff)
    cases = db.scalars(
        select(Case)
        .where(
            Case.anonymised_at.is_(None),
            or_(
                and_(Case.status == CaseStatus.CLOSED, Case.closed_at < cutoff),
                # A cancelled case has no closed_at; its last change is when it ended.
                and_(Case.status == CaseStatus.CANCELLED, Case.updated_at < cutoff),
            ),
        )
        .order_by(Case.id)
    ).all()
    for case in cases:
        _anonymise(db, case, now, report)
    if cases:
        audit.record(
            db,
            Actor.system("retention"),
            "retention",
            None,
            "run",
            after=report.as_dict(),
            note=f"RETENTION_YEARS={settings.retention_years}",
            at=now,
        )
    db.commit()
    return report


def _anonymise(db: Session, case: Case, now: datetime, report: RetentionReport) -> None:
    for name in CASE_FIELDS:
        if getattr(case, name):
            setattr(case, name, "")
            report.case_fields += 1
    if case.org_name != REMOVED:
        case.org_name = REMOVED  # a sole trader's firm name is often the owner's own name
        report.case_fields += 1
    case.anonymised_at = now
    case.updated_at = now
    report.cases.append(case.reference)

    surveys = db.scalars(select(Survey).where(Survey.case_id == case.id)).all()
    for number, survey in enumerate(surveys, start=1):
        survey.recipient_key = f"contact-{number}"  # keeps "one answer per contact" distinct
        survey.token_hash = None
        report.survey_recipients += 1
    answers = db.scalars(
        select(SurveyAnswer)
        .join(Survey, Survey.id == SurveyAnswer.survey_id)
        .where(Survey.case_id == case.id, SurveyAnswer.comment != "")
    ).all()
    for answer in answers:
        answer.comment = ""
        report.survey_comments += 1

    meeting_ids = list(db.scalars(select(Meeting.id).where(Meeting.case_id == case.id)))
    if meeting_ids:
        for minutes in db.scalars(select(Minutes).where(Minutes.meeting_id.in_(meeting_ids))):
            if minutes.customer_present:
                minutes.customer_present = ""
                report.minutes_customer_names += 1
        result = db.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.meeting_id.in_(meeting_ids), OutboxMessage.kind == "email")
            .execution_options(synchronize_session=False)
        )
        report.outbox_messages += int(getattr(result, "rowcount", 0) or 0)

    report.documents += documents.remove_for_case(db, case.id)

    for event in db.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)):
        before, after = _scrub(event.before), _scrub(event.after)
        if before != event.before or after != event.after:
            event.before, event.after = before, after
            report.audit_snapshots += 1
    meeting_events.case_anonymised(db, case, now)
    audit.record(
        db,
        Actor.system("retention"),
        "case",
        case.id,
        "anonymise",
        after={"anonymised_at": now},
        case_id=case.id,
        at=now,
    )


def _scrub(snapshot: dict[str, object] | None) -> dict[str, object] | None:
    if snapshot is None:
        return None
    return {
        key: (REMOVED if key in AUDIT_KEYS and value not in ("", None) else value)
        for key, value in snapshot.items()
    }
