"""Statistics of a seeded term equal the figures worked out by hand below."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from followup_world import World, make_case, make_world
from sqlalchemy.orm import Session

from booking.domain.terms import parse_term
from booking.domain.vocabulary import (
    CaseCategory,
    CaseStatus,
    MeetingStatus,
    MinutesStatus,
    PartStat,
    RequestSource,
    RequestStatus,
)
from booking.models import Case, ContactRequest, Minutes, Survey, SurveyAnswer
from booking.services.followup import statistics, statistics_csv

NEW, CHANGE, EVENT = CaseCategory.NEW_ESTABLISHMENT, CaseCategory.MAJOR_CHANGE, CaseCategory.EVENT
HELD = MeetingStatus.HELD


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _survey(
    db: Session, case: Case, n: int, answers: tuple[int, int, int], info: int | None
) -> None:
    survey = Survey(
        case_id=case.id,
        meeting_id=case.meetings[0].id,
        recipient_key=f"r{n}@x",
        scale=6,
        created_at=case.meetings[0].ends_at,
    )
    db.add(survey)
    db.flush()
    db.add(
        SurveyAnswer(
            survey_id=survey.id,
            scale=6,
            q_overall=answers[0],
            q_expectations=answers[1],
            q_ideal=answers[2],
            information=info,
        )
    )


def seed_term(db: Session, world: World) -> dict[str, Case]:
    """Spring 2027 (January–June) plus cases just outside it."""
    f = CaseStatus.FOLLOW_UP
    cases = {
        # received 10 Jan 09:00, meeting 26 Jan 12:00 UTC: 16.125 days
        "A": make_case(
            db,
            world,
            received_at=utc(2027, 1, 10, 9),
            meeting_at=utc(2027, 1, 26, 12),
            category=NEW,
            status=f,
            meeting_status=HELD,
        ),
        # 22.0 days; Räddningstjänsten never replied; Bygg replied after 48 h
        "B": make_case(
            db,
            world,
            received_at=utc(2027, 2, 1, 12),
            meeting_at=utc(2027, 2, 23, 12),
            category=CHANGE,
            status=f,
            meeting_status=HELD,
            departments=("bygg", "raddning"),
            partstats={"raddning": PartStat.NEEDS_ACTION},
            replied_after=timedelta(hours=48),
        ),
        # cancelled meeting: counts as a cancellation, not in lead time, replies or attendance
        "C": make_case(
            db,
            world,
            received_at=utc(2027, 3, 1, 12),
            meeting_at=utc(2027, 3, 16, 12),
            category=EVENT,
            status=CaseStatus.CANCELLED,
            meeting_status=MeetingStatus.CANCELLED,
        ),
        # received in autumn 2026 (not counted as a spring case), met 12 Jan: 28.0 days
        "D": make_case(
            db,
            world,
            received_at=utc(2026, 12, 15, 12),
            meeting_at=utc(2027, 1, 12, 12),
            category=NEW,
            status=f,
            meeting_status=HELD,
        ),
        # autumn 2027 and autumn 2026 cases: outside the term entirely
        "E": make_case(
            db,
            world,
            received_at=utc(2027, 7, 2, 8),
            meeting_at=None,
            category=EVENT,
            status=CaseStatus.RECEIVED,
        ),
        "F": make_case(
            db,
            world,
            received_at=utc(2026, 9, 1, 8),
            meeting_at=utc(2026, 10, 6, 11),
            category=NEW,
            status=f,
            meeting_status=HELD,
        ),
    }
    # Approved minutes of D say Näringslivsfunktionen did not come after all.
    d_meeting = cases["D"].meetings[0]
    db.add(
        Minutes(
            meeting_id=d_meeting.id,
            version=1,
            status=MinutesStatus.APPROVED,
            present=[
                {
                    "representative_id": world.reps["bygg"].id,
                    "department_id": world.departments["bygg"].id,
                    "name": "x",
                    "department": "Bygg och miljö",
                    "present": True,
                },
                {
                    "representative_id": world.reps["naring"].id,
                    "department_id": world.departments["naring"].id,
                    "name": "y",
                    "department": "Näringslivsfunktionen",
                    "present": False,
                },
            ],
        )
    )
    # Seven respondents about A (new establishment; Bygg och miljö + Näringslivsfunktionen) ...
    a_answers = [(5, 4, 4), (6, 6, 5), (3, 4, 3), (5, 4, 4), (6, 6, 5), (3, 4, 3), (4, 4, 4)]
    for n, answers in enumerate(a_answers):
        _survey(db, cases["A"], n, answers, 5)
    # ... two about B (major change; Bygg och miljö + Räddningstjänsten) ...
    _survey(db, cases["B"], 1, (6, 6, 6), 5)
    _survey(db, cases["B"], 2, (6, 6, 6), 5)
    # ... and one about F, in autumn 2026, which must not count.
    _survey(db, cases["F"], 1, (1, 1, 1), 1)
    db.commit()
    return cases


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def test_spring_term_figures_match_the_hand_computation(db: Session, world: World) -> None:
    seed_term(db, world)
    stats = statistics.compute(db, parse_term("2027-spring"))

    # Cases received in the term: A (new), B (change), C (event, cancelled); no internal one
    # (Forum internt is counted apart, never as a business category).
    assert stats["cases"] == {
        "total": 3,
        "cancelled": 1,
        "by_category": {"new_establishment": 1, "major_change": 1, "event": 1},
        "internal": 0,
    }
    # First meetings in the term: D 28.0, B 22.0, A 16.125 days → median 22.0.
    assert stats["lead_time_days"]["n"] == 3 and stats["lead_time_days"]["median"] == 22.0
    # None of them came through the door in: all three were registered by the coordinator.
    assert stats["lead_time_days"]["by_source"] == {
        "public": {"n": 0, "median": None},
        "staff": {"n": 0, "median": None},
        "coordinator": {"n": 3, "median": 22.0},
    }
    # Meetings on term days: A, B, C, D; one cancelled of four.
    assert stats["meetings"] == {"total": 4, "held": 3, "cancelled": 1, "cancellation_rate": 25.0}
    deps = {d["slug"]: d for d in stats["departments"]}
    # Bygg invited to A, B, D and replied after 24, 48, 24 h; present at all three.
    assert deps["bygg"] == {
        "id": world.departments["bygg"].id,
        "slug": "bygg",
        "name": "Bygg och miljö",
        "invited": 3,
        "replied": 3,
        "reply_rate": 100.0,
        "median_reply_hours": 24.0,
        "attendance_expected": 3,
        "attended": 3,
        "attendance_rate": 100.0,
    }
    # Näringsliv: A and D, replied after 24 h both; the minutes of D say absent → 1 of 2.
    assert (deps["naring"]["invited"], deps["naring"]["reply_rate"]) == (2, 100.0)
    assert (deps["naring"]["attended"], deps["naring"]["attendance_rate"]) == (1, 50.0)
    # Räddning: B only, no reply, not accepted → not present.
    assert (deps["raddning"]["replied"], deps["raddning"]["reply_rate"]) == (0, 0.0)
    assert deps["raddning"]["median_reply_hours"] is None
    assert deps["raddning"]["attendance_rate"] == 0.0
    # Attendance: 3 + 1 + 0 present of 3 + 2 + 1 expected = 4/6 = 66.7 %.
    assert stats["attendance"] == {"expected": 6, "attended": 4, "rate": 66.7}

    nki = stats["nki"]
    # A: 66.667 + 93.333 + 46.667 + 66.667 + 93.333 + 46.667 + 60 = 473.333; B: 100 + 100.
    # Overall (9): 673.333 / 9 = 74.81 → 75 "högt".
    assert nki["respondents"] == 9
    assert nki["overall"] == {
        "n": 9,
        "score": 75,
        "grade": "högt",
        "suppressed": False,
        "uncertain": True,
    }
    # New establishment (A, 7): 473.333 / 7 = 67.62 → 68 "godkänt"; change (B, 2) hidden.
    assert nki["by_category"]["new_establishment"]["score"] == 68
    assert nki["by_category"]["new_establishment"]["grade"] == "godkänt"
    assert nki["by_category"]["major_change"] == {
        "n": 2,
        "score": None,
        "grade": None,
        "suppressed": True,
        "uncertain": True,
    }
    assert nki["by_category"]["event"]["n"] == 0
    by_dep = {d["slug"]: d for d in nki["by_department"]}
    assert (by_dep["bygg"]["n"], by_dep["bygg"]["score"]) == (9, 75)
    assert (by_dep["naring"]["n"], by_dep["naring"]["score"]) == (7, 68)
    assert (by_dep["raddning"]["n"], by_dep["raddning"]["score"]) == (2, None)
    # Information answered 5 by all nine: 80; the other factors unanswered.
    assert nki["factors"]["information"]["score"] == 80
    assert nki["factors"]["bemotande"] == {
        "n": 0,
        "score": None,
        "grade": None,
        "suppressed": True,
        "uncertain": True,
    }


def test_autumn_term_and_csv(db: Session, world: World) -> None:
    seed_term(db, world)
    autumn = statistics.compute(db, parse_term("2026-autumn"))
    # D (received 15 Dec) and F (received 1 Sep) are autumn 2026 cases; F met on 6 Oct.
    assert autumn["cases"]["by_category"]["new_establishment"] == 2
    # 1 Sep 08:00 → 6 Oct 11:00 UTC = 35 days 3 hours = 35.125 → 35.1
    assert autumn["lead_time_days"]["n"] == 1 and autumn["lead_time_days"]["median"] == 35.1
    assert autumn["nki"]["overall"]["n"] == 1 and autumn["nki"]["overall"]["score"] is None
    csv_text = statistics_csv.to_csv(statistics.compute(db, parse_term("2027-spring")))
    lines = csv_text.splitlines()
    assert lines[0] == "term,section,key,metric,value"
    assert "2027-spring,lead_time,all,median_days,22.0" in lines
    assert "2027-spring,nki,overall,score,75" in lines
    assert "2027-spring,nki_category,major_change,score," in lines  # suppressed stays empty
    assert "2027-spring,department,raddning,reply_rate,0.0" in lines


def test_an_exact_half_rounds_up_through_the_service(db: Session, world: World) -> None:
    """37 × (3,6,6) = 80 and 3 × (2,6,6) = 73⅓ give exactly 79.5: 80 "mycket högt", not 79."""
    case = make_case(
        db,
        world,
        received_at=utc(2027, 1, 10, 9),
        meeting_at=utc(2027, 1, 26, 12),
        category=NEW,
        status=CaseStatus.FOLLOW_UP,
        meeting_status=HELD,
    )
    for n in range(40):
        _survey(db, case, n, (3, 6, 6) if n < 37 else (2, 6, 6), None)
    db.commit()
    nki = statistics.compute(db, parse_term("2027-spring"))["nki"]
    assert (nki["overall"]["score"], nki["overall"]["grade"]) == (80, "mycket högt")
    assert nki["by_category"]["new_establishment"]["score"] == 80


def test_response_rate_is_shown_beside_nki(db: Session, world: World) -> None:
    cases = seed_term(db, world)
    for n in range(3):  # three more surveys about A that nobody answered
        db.add(
            Survey(
                case_id=cases["A"].id,
                meeting_id=cases["A"].meetings[0].id,
                recipient_key=f"silent{n}@x",
                scale=6,
                created_at=cases["A"].meetings[0].ends_at,
            )
        )
    db.commit()
    stats = statistics.compute(db, parse_term("2027-spring"))
    # 9 answers of 12 surveys sent about spring meetings (F's survey is autumn 2026).
    assert (stats["nki"]["surveys_sent"], stats["nki"]["response_rate"]) == (12, 75.0)
    lines = statistics_csv.to_csv(stats).splitlines()
    assert "2027-spring,nki,overall,response_rate,75.0" in lines


def test_lead_time_per_source_counts_from_the_first_contact(db: Session, world: World) -> None:
    """A case that came through the door in counts under its source, from the request."""
    cases = seed_term(db, world)
    for key, source in (("B", RequestSource.STAFF), ("D", RequestSource.PUBLIC)):
        case = cases[key]
        db.add(
            ContactRequest(
                forum_id=case.forum_id, status=RequestStatus.ACCEPTED, source=source,
                category=case.category, org_name=case.org_name, contact_name="Kontakt",
                contact_email="kontakt@example.org", follow_token_hash=f"hash-{key}",
                case_id=case.id,
            )
        )  # fmt: skip
    db.commit()
    by_source = statistics.compute(db, parse_term("2027-spring"))["lead_time_days"]["by_source"]
    assert by_source == {
        "public": {"n": 1, "median": 28.0},
        "staff": {"n": 1, "median": 22.0},
        "coordinator": {"n": 1, "median": 16.1},
    }
    csv_text = statistics_csv.to_csv(statistics.compute(db, parse_term("2027-spring")))
    assert "2027-spring,lead_time,staff,median_days,22.0" in csv_text.splitlines()
