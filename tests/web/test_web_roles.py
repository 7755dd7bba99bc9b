"""Roles on every page and form: who may open what, and who may change nothing."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs, add_document, book_directly

from booking.domain.vocabulary import SessionStatus
from booking.models import (
    Case,
    CaseDocument,
    Department,
    Meeting,
    Representative,
    Session,
    Slot,
    User,
)

ROLES = ("admin", "coordinator", "representative", "viewer", "receiver")

# url template -> statuses for admin, coordinator, representative, viewer, receiver
PAGES: dict[str, tuple[int, int, int, int, int]] = {
    "/overview": (200, 200, 200, 200, 403),
    "/cases": (200, 200, 403, 200, 403),
    "/cases/new": (200, 200, 403, 403, 403),
    "/cases/{case}": (200, 200, 200, 200, 403),  # the representative is invited to its meeting
    "/cases/{case}/book": (302, 302, 403, 403, 403),  # booked already: back to the case page
    "/cases/{case}/edit": (200, 200, 403, 403, 403),
    "/me/meetings": (403, 403, 200, 403, 403),
    "/me/todo": (200, 200, 200, 200, 200),
    "/admin/departments": (200, 200, 403, 200, 403),
    "/admin/departments/new": (200, 403, 403, 403, 403),
    "/admin/departments/{department}": (200, 403, 403, 403, 403),
    "/admin/representatives/new": (200, 403, 403, 403, 403),
    "/admin/representatives/{representative}": (200, 200, 403, 403, 403),
    "/admin/sessions": (200, 200, 403, 403, 403),
    "/admin/users": (200, 403, 403, 403, 403),
    "/admin/users/new": (200, 403, 403, 403, 403),
    "/admin/users/{user}": (200, 403, 403, 403, 403),
    "/intake": (200, 200, 403, 403, 403),
    "/intake/new": (200, 200, 200, 200, 200),
    "/intake/mine": (200, 200, 200, 200, 200),
    # Arriving prepared (issue 14 §4): the guides, the afternoon's agenda, a case's document.
    "/admin/forums/{forum}/guides": (200, 403, 403, 403, 403),
    "/sessions/{session}/dagordning": (200, 200, 200, 200, 403),
    # Management reads the case but not the business's own material (as its description).
    "/cases/{case}/dokument/{document}": (200, 200, 200, 403, 403),
}


def _ids(db: Db) -> dict[str, int]:
    case = db.scalar(select(Case)) or book_directly(db).case
    department = db.scalar(select(Department).order_by(Department.id))
    representative = db.scalar(select(Representative).order_by(Representative.id))
    user = db.scalar(select(User).order_by(User.id))
    assert department and representative and user
    session_id = db.scalar(
        select(Slot.session_id)
        .join(Meeting, Meeting.slot_id == Slot.id)
        .where(Meeting.case_id == case.id)
    )
    document = db.scalar(select(CaseDocument).where(CaseDocument.case_id == case.id))
    if document is None:
        document = add_document(db, case.id, "ritning.pdf", b"%PDF-1.4")
    return {
        "department": department.id,
        "representative": representative.id,
        "user": user.id,
        "case": case.id,
        "forum": case.forum_id,
        "session": session_id,
        "document": document.id,
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_page_by_role(login_as: LoginAs, seeded: Db, role: str) -> None:
    client = login_as(role)
    ids = _ids(seeded)
    for template, statuses in PAGES.items():
        url = template.format(**ids)
        expected = statuses[ROLES.index(role)]
        response = client.get(url)
        assert response.status_code == expected, (role, url, response.status_code)
        if expected == 403:
            assert "Du har inte behörighet" in response.get_data(as_text=True)


def test_anonymous_is_sent_to_login_everywhere(client: FlaskClient, seeded: Db) -> None:
    ids = _ids(seeded)
    for template in PAGES:
        response = client.get(template.format(**ids))
        assert response.status_code == 302 and "/login" in response.location


def _forms(db: Db) -> list[tuple[str, dict[str, str]]]:
    ids = _ids(db)
    session = db.scalar(select(Session).where(Session.status == SessionStatus.SCHEDULED))
    assert session is not None
    return [
        (f"/admin/sessions/{session.id}/cancel", {f"s{session.id}-reason": "x"}),
        (
            "/admin/sessions/extra",
            {
                "forum": "mora",
                "day": "2027-01-14",
                "start_time": "13:00",
                "end_time": "16:00",
                "meeting_minutes": "60",
                "buffer_minutes": "15",
            },
        ),
        (
            f"/admin/representatives/{ids['representative']}/absences",
            {"start_date": "2027-01-10", "end_date": "2027-01-12"},
        ),
        ("/admin/departments/new", {"name": "X", "slug": "x", "capacity_per_session": "1"}),
        (
            "/admin/users/new",
            {"name": "X", "email": "x@x.example", "role": "admin", "password": "0123456789"},
        ),
        (f"/admin/users/{ids['user']}/unlock", {}),
    ]


@pytest.mark.parametrize("role", ["viewer", "representative"])
def test_read_only_roles_cannot_change_anything(login_as: LoginAs, seeded: Db, role: str) -> None:
    client = login_as(role)
    for url, data in _forms(seeded):
        response = client.post(url, data=data)
        assert response.status_code == 403, (role, url)
    seeded.expire_all()
    assert seeded.scalar(select(Session).where(Session.status == SessionStatus.CANCELLED)) is None
    assert seeded.scalar(select(Session).where(Session.is_extra.is_(True))) is None
    assert seeded.scalar(select(User).where(User.email == "x@x.example")) is None
    assert seeded.scalar(select(Department).where(Department.slug == "x")) is None
