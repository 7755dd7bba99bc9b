"""The NKI survey after a meeting: one per case contact, a token link, answered once.

SURVEY_DELAY_DAYS after the case's last meeting the worker creates the survey and e-mails the
link <PUBLIC_BASE_URL>/s/<token>. Only the token's SHA-256 is stored. The questions are our own
wording of the three NKI questions and the six service factors (not SKR's Insikt wording, which
is not public): "NKI (egen mätning enligt Insikt-metodik)".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from booking.domain.cases import has_customer
from booking.domain.nki import NKI_QUESTIONS, SERVICE_FACTORS
from booking.domain.vocabulary import CaseStatus, MeetingStatus
from booking.models import Case, Survey, SurveyAnswer
from booking.services.access.tokens import hash_token
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.followup.common import enqueue_email
from booking.services.followup.policy import FollowupPolicy
from booking.services.inputs import checked, clean_text
from booking.services.mail.render import render

# Surveys are not sent for meetings older than this past the delay (e.g. when the feature is
# switched on with a backlog): a survey about a meeting months ago measures nothing useful.
SEND_WINDOW_DAYS = 30

# (field, Swedish, English): our own wording.
QUESTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "q_overall",
        "Hur nöjd är du sammantaget med kommunens service i ditt ärende?",
        "Overall, how satisfied are you with the municipality's service in your case?",
    ),
    (
        "q_expectations",
        "Hur väl motsvarade servicen dina förväntningar?",
        "How well did the service meet your expectations?",
    ),
    (
        "q_ideal",
        "Hur nära en ideal service kom kommunen?",
        "How close did the municipality come to an ideal service?",
    ),
)
FACTORS: tuple[tuple[str, str, str], ...] = (
    (
        "information",
        "Information: var informationen om regler och krav tydlig?",
        "Information: was the information about rules and requirements clear?",
    ),
    (
        "tillganglighet",
        "Tillgänglighet: var det lätt att nå rätt handläggare?",
        "Accessibility: was it easy to reach the right official?",
    ),
    ("bemotande", "Bemötande: hur blev du bemött?", "Treatment: how were you treated?"),
    (
        "kompetens",
        "Kompetens: förstod handläggarna ditt ärende?",
        "Competence: did the officials understand your case?",
    ),
    (
        "rattssakerhet",
        "Rättssäkerhet: tillämpades regler lika och förutsägbart?",
        "Legal certainty: were rules applied equally and predictably?",
    ),
    (
        "effektivitet",
        "Effektivitet: hur effektiv var handläggningen?",
        "Efficiency: how efficient was the handling?",
    ),
)
COMMENT_MAX = 4000

assert tuple(q[0] for q in QUESTIONS) == NKI_QUESTIONS
assert tuple(f[0] for f in FACTORS) == SERVICE_FACTORS


def survey_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


def create_survey(
    db: Session, case: Case, now: datetime, settings: FollowupPolicy, meeting_id: int | None = None
) -> tuple[Survey, str]:
    """A survey for the case's contact and its raw token (only shown in the e-mail)."""
    key = case.contact_email.strip().lower()
    if not has_customer(case) or not key:
        raise Invalid(f"Case {case.reference} has no contact e-mail to send a survey to.")
    if db.scalar(select(Survey.id).where(Survey.case_id == case.id, Survey.recipient_key == key)):
        raise Conflict(f"The contact of case {case.reference} already has a survey.")
    token = secrets.token_urlsafe(32)
    survey = Survey(
        case_id=case.id,
        meeting_id=meeting_id,
        recipient_key=key,
        token_hash=hash_token(token),
        scale=settings.survey_scale,
        created_at=now,
    )
    db.add(survey)
    db.flush()
    return survey, token


def _invite(db: Session, survey: Survey, case: Case, token: str, now: datetime, base: str) -> None:
    mail = render(
        "followup/survey",
        name=case.contact_name or "",
        reference=case.reference,
        link=survey_url(base, token),
    )
    enqueue_email(
        db,
        to=case.contact_email,
        subject=mail.subject,
        text=mail.text,
        now=now,
        meeting_id=survey.meeting_id,
    )


def send_due_surveys(db: Session, *, now: datetime, settings: FollowupPolicy) -> int:
    """Create and e-mail the surveys that are due; returns how many were sent."""
    delay = timedelta(days=settings.survey_delay_days)
    earliest = now - delay - timedelta(days=SEND_WINDOW_DAYS)
    cases = db.scalars(
        select(Case)
        .where(
            Case.status.in_([CaseStatus.HELD, CaseStatus.FOLLOW_UP, CaseStatus.CLOSED]),
            Case.anonymised_at.is_(None),
            Case.contact_email != "",
        )
        .options(selectinload(Case.meetings))
    )
    sent = 0
    for case in cases:
        held = [m for m in case.meetings if m.status != MeetingStatus.CANCELLED]
        if not held or not has_customer(case):
            continue  # no meeting, or no customer to ask (Forum internt)
        last = max(held, key=lambda m: m.ends_at)
        if not earliest <= last.ends_at <= now - delay:
            continue
        key = case.contact_email.strip().lower()
        if db.scalar(
            select(Survey.id).where(Survey.case_id == case.id, Survey.recipient_key == key)
        ):
            continue
        survey, token = create_survey(db, case, now, settings, meeting_id=last.id)
        _invite(db, survey, case, token, now, settings.public_base_url)
        sent += 1
    db.commit()
    return sent


def by_token(db: Session, token: str) -> Survey:
    survey = db.scalar(select(Survey).where(Survey.token_hash == hash_token(token or "")))
    if survey is None or survey.case.anonymised_at is not None:
        raise NotFound("This survey link is not valid (any more).")
    return survey


@dataclass
class AnswerInput:
    values: dict[str, int | None]  # question/factor field → 1..scale or None ("vet ej")
    comment: str = ""


def submit(db: Session, token: str, data: AnswerInput, now: datetime) -> SurveyAnswer:
    """Store the one answer of this survey; a second submit is refused."""
    survey = by_token(db, token)
    if survey.answer is not None or survey.answered_at is not None:
        raise Conflict(
            "This survey has already been answered. Thank you!", reason="survey_answered"
        )
    errors: dict[str, str] = {}
    for name in (*NKI_QUESTIONS, *SERVICE_FACTORS):
        value = data.values.get(name)
        if value is not None and not 1 <= value <= survey.scale:
            errors[name] = "out_of_range"  # the page asks for 1–scale or "vet ej"
    if all(data.values.get(q) is None for q in NKI_QUESTIONS):
        errors["q_overall"] = "required"
    comment, problem = checked(clean_text, data.comment)
    if problem is not None:
        errors["comment"] = problem
    elif len(comment) > COMMENT_MAX:
        errors["comment"] = "too_long"
    if errors:
        raise Invalid(
            "Some answers need attention: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
            errors,
            reason="survey_answers",
        )
    answer = SurveyAnswer(
        survey_id=survey.id,
        scale=survey.scale,
        comment=comment.strip(),
        answered_at=now,
        **{name: data.values.get(name) for name in (*NKI_QUESTIONS, *SERVICE_FACTORS)},
    )
    survey.answered_at = now
    db.add(answer)
    db.commit()
    return answer
