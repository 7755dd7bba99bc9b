"""NKI survey: sent after the configured delay, once per contact, answered once by token."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from followup_world import World, make_case, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import CaseStatus, MeetingStatus
from booking.models import OutboxMessage, Survey, SurveyAnswer
from booking.public.messages import field_problems
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.followup import surveys as svc
from booking.services.followup.policy import FollowupPolicy
from config import Settings

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
SETTINGS = FollowupPolicy.from_settings(
    replace(Settings(), survey_delay_days=3, survey_scale=6, public_base_url="http://f.test")
)


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def _held(db: Session, world: World, ago: timedelta, **kw: object):  # type: ignore[no-untyped-def]
    return make_case(
        db,
        world,
        received_at=NOW - ago - timedelta(days=20),
        meeting_at=NOW - ago,
        status=CaseStatus.FOLLOW_UP,
        meeting_status=MeetingStatus.HELD,
        **kw,
    )  # type: ignore[arg-type]


def _token(db: Session) -> str:
    text = db.scalars(select(OutboxMessage)).one().payload["text"]
    match = re.search(r"http://f\.test/s/([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


def test_sent_after_the_delay_once_per_contact(db: Session, world: World) -> None:
    _held(db, world, timedelta(days=2))  # too early
    due = _held(db, world, timedelta(days=3, hours=2))
    _held(db, world, timedelta(days=60))  # long ago: not surveyed late
    _held(db, world, timedelta(days=4), contact_email="")  # nobody to ask
    assert svc.send_due_surveys(db, now=NOW, settings=SETTINGS) == 1
    assert svc.send_due_surveys(db, now=NOW, settings=SETTINGS) == 0
    survey = db.scalars(select(Survey)).one()
    assert survey.case_id == due.id and survey.scale == 6
    mail = db.scalars(select(OutboxMessage)).one()
    assert mail.payload["to"] == ["kund@foretag.example"]
    token = _token(db)
    assert survey.token_hash == svc.hash_token(token) and token not in str(survey.token_hash)


def test_answer_once_with_validation(db: Session, world: World) -> None:
    _held(db, world, timedelta(days=4))
    svc.send_due_surveys(db, now=NOW, settings=SETTINGS)
    token = _token(db)
    with pytest.raises(NotFound):
        svc.submit(db, "not-a-token", svc.AnswerInput({"q_overall": 5}), NOW)
    with pytest.raises(Invalid) as error:
        svc.submit(db, token, svc.AnswerInput({"q_overall": 7, "bemotande": 0}), NOW)
    assert set(error.value.details) == {"q_overall", "bemotande"}
    answers = {"q_overall": 5, "q_expectations": 4, "q_ideal": None, "information": 6}
    svc.submit(db, token, svc.AnswerInput(answers, "Bra möte!"), NOW)
    stored = db.scalars(select(SurveyAnswer)).one()
    assert (stored.q_overall, stored.q_ideal, stored.information, stored.comment) == (
        5,
        None,
        6,
        "Bra möte!",
    )
    with pytest.raises(Conflict, match="already been answered"):
        svc.submit(db, token, svc.AnswerInput({"q_overall": 1}), NOW)


def test_the_required_rule_and_its_message_agree(db: Session, world: World) -> None:
    """ "Vet ej" on the first question is allowed (Insikt never forces a grade); all three
    NKI questions "vet ej" is refused, and the message says exactly that."""
    _held(db, world, timedelta(days=4))
    svc.send_due_surveys(db, now=NOW, settings=SETTINGS)
    token = _token(db)
    blank = {"q_overall": None, "q_expectations": None, "q_ideal": None, "information": 5}
    with pytest.raises(Invalid) as error:
        svc.submit(db, token, svc.AnswerInput(blank), NOW)
    message = field_problems(error.value.details)["q_overall"]
    assert "minst en av de tre första frågorna" in message
    assert "den första frågan" not in message
    svc.submit(db, token, svc.AnswerInput(blank | {"q_expectations": 5}), NOW)
    assert db.scalars(select(SurveyAnswer)).one().q_overall is None
