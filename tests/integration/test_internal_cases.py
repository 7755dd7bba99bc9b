"""Forum internt (issue 14 §5): a case without a customer is registered, proposed and booked
like any case, and nothing customer-facing happens for it (one rule:
booking.domain.cases.has_customer)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from booking_helpers import case_body, dept_ids, fingerprint, tokens
from flask.testing import FlaskClient
from followup_world import World, make_case, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock
from booking.domain.terms import parse_term
from booking.domain.visibility import Audience
from booking.domain.vocabulary import CaseCategory, CaseStatus, MeetingStatus
from booking.ical.event import meeting_vevent
from booking.models import Case, CustomerToken, Meeting, OutboxMessage, Survey
from booking.services.errors import Invalid
from booking.services.feeds import tokens as feed_tokens
from booking.services.followup import points, statistics, statistics_csv, surveys
from booking.services.followup.points import PointInput
from booking.services.followup.policy import FollowupPolicy
from booking.services.invitations import delivery
from booking.services.invitations.links import case_by_customer_token, customer_link
from config import Settings

INTERNAL_KEYS = {"forum", "category", "description", "department_ids"}


@pytest.fixture
def auth(seeded: Db, clock: FixedClock) -> dict[str, dict[str, str]]:
    return tokens(seeded, clock)


def internal_body(db: Db, **extra: Any) -> dict[str, Any]:
    body = {k: v for k, v in case_body(db).items() if k in INTERNAL_KEYS}
    body.update(
        category="internal",
        org_name="Samverkan Mora–Orsa",
        description="Rutin för ärenden som rör två kommuner",
    )
    body.update(extra)
    return body


def _create(client: FlaskClient, auth: dict[str, dict[str, str]], body: dict[str, Any]) -> Any:
    response = client.post("/api/v1/cases", json=body, headers=auth["coordinator"])
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _outbox_kinds(db: Db) -> list[str]:
    db.expire_all()
    return [m.kind for m in db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_an_internal_case_is_registered_without_customer_and_booked_like_any(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]
) -> None:
    case = _create(client, auth, internal_body(seeded))
    assert case["category"] == "internal" and case["status"] == "received"
    assert case["org_number"] == "" and case["contact_email"] == ""
    # The forum's own matter: its title stands where a customer's name would.
    assert case["org_name"] == "Samverkan Mora–Orsa"

    proposals = client.get(
        f"/api/v1/cases/{case['id']}/proposals?limit=2", headers=auth["coordinator"]
    ).get_json()
    assert len(proposals["proposals"]) == 2
    booked = client.post(
        f"/api/v1/cases/{case['id']}/booking",
        json={"slot": "earliest"},
        headers=auth["coordinator"],
    )
    assert booked.status_code == 201, booked.get_json()
    meeting = booked.get_json()
    assert meeting["slot_id"] == proposals["proposals"][0]["slot_id"]
    assert len(meeting["attendees"]) == 2  # one per department, invited as always
    # The departments' invitations are queued; nothing for a customer.
    assert _outbox_kinds(seeded) == [delivery.DELIVER]

    cancelled = client.post(
        f"/api/v1/meetings/{meeting['id']}/cancel",
        json={"reason": "Flyttas till nästa termin"},
        headers=auth["coordinator"],
    )
    assert cancelled.status_code == 200
    assert delivery.CUSTOMER not in _outbox_kinds(seeded)


def test_customer_fields_follow_the_category_with_clear_refusals(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]
) -> None:
    before = fingerprint(seeded)
    with_customer = client.post(
        "/api/v1/cases",
        json=internal_body(seeded, org_number="556036-0793", contact_email="eva@cafe.example"),
        headers=auth["coordinator"],
    )
    assert with_customer.status_code == 422
    error = with_customer.get_json()["error"]
    assert error["reason"] == "no_customer"
    assert set(error["details"]) == {"org_number", "contact_email"}
    nameless = client.post(
        "/api/v1/cases", json=case_body(seeded, org_name=""), headers=auth["coordinator"]
    )
    assert nameless.status_code == 422 and "org_name" in nameless.get_json()["error"]["details"]
    untitled = client.post(
        "/api/v1/cases", json=internal_body(seeded, org_name=""), headers=auth["coordinator"]
    )
    assert untitled.status_code == 422 and "org_name" in untitled.get_json()["error"]["details"]
    assert fingerprint(seeded) == before

    # A business case may not become internal while it holds its customer's contact ...
    business = _create(client, auth, case_body(seeded))
    edit = client.patch(
        f"/api/v1/cases/{business['id']}",
        json={"category": "internal"},
        headers=auth["coordinator"],
    )
    assert edit.status_code == 422 and edit.get_json()["error"]["reason"] == "no_customer"
    # ... and an internal case takes no contact.
    internal = _create(client, auth, internal_body(seeded))
    edit = client.patch(
        f"/api/v1/cases/{internal['id']}",
        json={"contact_email": "someone@example.org"},
        headers=auth["coordinator"],
    )
    assert edit.status_code == 422 and edit.get_json()["error"]["reason"] == "no_customer"


def test_no_customer_page_feed_or_link_for_an_internal_case(
    seeded: Db, client: FlaskClient, auth: dict[str, dict[str, str]], clock: FixedClock
) -> None:
    internal = seeded.get(Case, _create(client, auth, internal_body(seeded))["id"])
    business = seeded.get(Case, _create(client, auth, case_body(seeded))["id"])
    assert internal is not None and business is not None
    for case in (internal, business):
        link = customer_link(seeded, case, base_url="http://forum.test", secret_key="test-secret")
        token = link.rsplit("/", 1)[-1]
        assert seeded.get(CustomerToken, case.id) is not None
        found = case_by_customer_token(seeded, token)
        # The business's link opens its page; an internal case has no customer page at all.
        assert found == (case if case is business else None)
        if case is internal:
            assert client.get(f"/c/{token}").status_code == 404
    seeded.rollback()
    with pytest.raises(Invalid) as refused:
        feed_tokens.create(seeded, "case", internal.id, "test-secret", clock.now())
    assert refused.value.reason == "no_customer"
    assert feed_tokens.create(seeded, "case", business.id, "test-secret", clock.now())


@pytest.fixture
def world(db: Db) -> World:
    return make_world(db)


def test_no_survey_and_no_customer_timeline_for_an_internal_case(
    db: Db, world: World, clock: FixedClock
) -> None:
    now = clock.now()
    held = {
        "business": make_case(
            db,
            world,
            received_at=now - timedelta(days=30),
            meeting_at=now - timedelta(days=4),
            status=CaseStatus.FOLLOW_UP,
            meeting_status=MeetingStatus.HELD,
        ),
        # Even with an address written on it, an internal case asks nobody for NKI.
        "internal": make_case(
            db,
            world,
            received_at=now - timedelta(days=30),
            meeting_at=now - timedelta(days=4),
            category=CaseCategory.INTERNAL,
            status=CaseStatus.FOLLOW_UP,
            meeting_status=MeetingStatus.HELD,
        ),
    }
    db.commit()
    policy = FollowupPolicy.from_settings(Settings())
    assert surveys.send_due_surveys(db, now=now, settings=policy) == 1
    assert [m.payload["to"] for m in db.scalars(select(OutboxMessage))] == [
        ["kund@foretag.example"]
    ]
    assert {s.case_id for s in db.scalars(select(Survey))} == {held["business"].id}

    def point(case: Case) -> bool:
        added = points.add_point(
            db,
            case.id,
            PointInput(
                title="Återkoppla", owner_name="Eva", due_date=now.date(), visible_to_customer=True
            ),
            world.actor("coordinator"),
            now,
        )
        return added.visible_to_customer

    # The timeline of a case without a customer is nobody's outside: never "shown to the customer".
    assert point(held["business"]) is True
    assert point(held["internal"]) is False


def test_statistics_count_internal_cases_apart(db: Db, world: World) -> None:
    from datetime import UTC, datetime

    def at(month: int, day: int) -> datetime:
        return datetime(2027, month, day, 12, tzinfo=UTC)

    make_case(
        db,
        world,
        received_at=at(1, 10),
        meeting_at=at(1, 26),
        status=CaseStatus.FOLLOW_UP,
        meeting_status=MeetingStatus.HELD,
    )
    for day in (5, 12):
        make_case(
            db,
            world,
            received_at=at(2, day),
            meeting_at=at(2, day + 1),
            category=CaseCategory.INTERNAL,
            status=CaseStatus.FOLLOW_UP,
            meeting_status=MeetingStatus.HELD,
        )
    db.commit()
    stats = statistics.compute(db, parse_term("2027-spring"))
    assert stats["cases"] == {
        "total": 1,
        "cancelled": 0,
        "by_category": {"new_establishment": 1, "major_change": 0, "event": 0},
        "internal": 2,
    }
    # Lead time: the business's case only (16.0 days), not the internal ones (1 day each).
    assert stats["lead_time_days"]["n"] == 1 and stats["lead_time_days"]["median"] == 16.0
    assert "internal" not in stats["nki"]["by_category"]
    # Their meetings are the forum's meetings all the same.
    assert stats["meetings"]["total"] == 3
    assert ("cases", "internal", "count", 2) in statistics_csv.figure_rows(stats)
    assert "Ärenden;Forum internt;antal;2" in statistics_csv.to_csv_sv(stats)
    assert "2027-spring,cases,internal,count,2" in statistics_csv.to_csv(stats)


def test_the_statistics_api_gives_the_internal_figure(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]
) -> None:
    _create(client, auth, internal_body(seeded))
    _create(client, auth, case_body(seeded))
    figures = client.get("/api/v1/statistics", headers=auth["viewer"]).get_json()
    assert figures["cases"]["internal"] == 1 and figures["cases"]["total"] == 1
    assert set(figures["cases"]["by_category"]) == {"new_establishment", "major_change", "event"}
    schema = client.get("/api/v1/openapi.json").get_json()
    counts = schema["components"]["schemas"]["CaseCountsOut"]
    assert "internal" in counts["required"]


def test_an_internal_meeting_names_the_forum_matter_to_every_attendee(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]
) -> None:
    body = internal_body(
        seeded, org_name="Terminsplanering", department_ids=dept_ids(seeded, "stadsbyggnad")
    )
    case = _create(client, auth, body)
    client.post(
        f"/api/v1/cases/{case['id']}/booking",
        json={"slot": "earliest"},
        headers=auth["coordinator"],
    )
    meeting = seeded.scalars(select(Meeting).where(Meeting.case_id == case["id"])).one()
    event = meeting_vevent(
        meeting, Audience.ATTENDEE, base_url="http://forum.test", municipal=False
    )
    assert "Forum internt – Terminsplanering" in str(event["SUMMARY"])
    assert "Rutin för ärenden som rör två kommuner" in str(event["DESCRIPTION"])


def test_an_internal_case_made_a_business_case_shares_nothing_until_the_customer_agrees(
    client: FlaskClient, seeded: Db, auth: dict[str, dict[str, str]]
) -> None:
    internal = _create(client, auth, internal_body(seeded))
    assert internal["consent_scope"] == "external"  # nobody's data to hold back
    edit = client.patch(
        f"/api/v1/cases/{internal['id']}",
        json={"category": "event", "org_name": "Vasaloppet AB", "contact_email": "a@b.example"},
        headers=auth["coordinator"],
    )
    assert edit.status_code == 200, edit.get_json()
    assert edit.get_json()["consent_scope"] == "none"
