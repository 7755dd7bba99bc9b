"""Administration pages: sessions (cancel, extra), departments, representatives, absences, users."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs, book_directly, page_text, text_of

from booking.domain.vocabulary import SessionStatus
from booking.models import Absence, AuditEvent, Department, Forum, Representative, Session, User


def _first_session(db: Db, slug: str = "mora") -> Session:
    forum = db.scalar(select(Forum).where(Forum.slug == slug))
    assert forum is not None
    session = db.scalar(
        select(Session)
        .where(Session.forum_id == forum.id, Session.status == SessionStatus.SCHEDULED)
        .order_by(Session.local_date)
    )
    assert session is not None
    return session


def _new_representative_form(db: Db) -> dict[str, str]:
    """The admin form for a new representative of the environment office."""
    department = db.scalar(select(Department).where(Department.slug == "miljokontoret"))
    assert department is not None
    return {
        "name": "Kim Ny",
        "email": "kim.ny@moraorsa.example",
        "department_id": str(department.id),
        "active": "y",
        "user_id": "0",
    }


def test_cancel_a_tuesday_with_reason(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    session = _first_session(seeded)
    response = client.post(
        f"/admin/sessions/{session.id}/cancel", data={f"s{session.id}-reason": "Kommunfullmäktige"}
    )
    assert response.status_code == 302
    seeded.expire_all()
    assert session.status == SessionStatus.CANCELLED and session.reason == "Kommunfullmäktige"
    assert seeded.scalar(select(AuditEvent).where(AuditEvent.action == "cancel"))
    text = page_text(client, "/overview?forum=mora")
    assert "Inställd: Kommunfullmäktige" in text


def test_cancel_without_reason_says_what_to_fix(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    session = _first_session(seeded)
    response = client.post(f"/admin/sessions/{session.id}/cancel", data={})
    assert response.status_code == 422
    assert "Ange varför eftermiddagen ställs in." in text_of(response.get_data(as_text=True))
    seeded.expire_all()
    assert session.status == SessionStatus.SCHEDULED


def test_cannot_cancel_a_session_with_bookings(login_as: LoginAs, seeded: Db) -> None:
    book_directly(seeded)
    session = _first_session(seeded)
    client = login_as("coordinator")
    response = client.post(
        f"/admin/sessions/{session.id}/cancel", data={f"s{session.id}-reason": "Sjukdom"}
    )
    assert response.status_code == 422
    assert "Eftermiddagen har bokade möten" in text_of(response.get_data(as_text=True))
    seeded.expire_all()
    assert session.status == SessionStatus.SCHEDULED
    assert "Har bokningar" in page_text(client, "/admin/sessions")


def test_cancel_unknown_session_is_404(login_as: LoginAs) -> None:
    client = login_as("coordinator")
    response = client.post("/admin/sessions/999999/cancel", data={"s999999-reason": "x"})
    assert response.status_code == 404


def test_add_an_extra_session(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    data = {
        "forum": "mora",
        "day": "2027-01-14",
        "start_time": "09:00",
        "end_time": "12:00",
        "meeting_minutes": "45",
        "buffer_minutes": "15",
    }
    response = client.post("/admin/sessions/extra", data=data)
    assert response.status_code == 302
    extra = seeded.scalar(select(Session).where(Session.local_date == date(2027, 1, 14)))
    assert extra is not None and extra.is_extra and len(extra.slots) == 3
    text = page_text(client, "/overview?forum=mora&from=2027-01-11&weeks=1")
    assert "torsdag 14 januari 2027, v. 2" in text and "extra eftermiddag" in text
    assert "09:00–09:45" in text
    # The same day again is refused with a message, not a 500.
    response = client.post("/admin/sessions/extra", data=data)
    assert response.status_code == 422
    assert "Det finns redan en forumeftermiddag" in text_of(response.get_data(as_text=True))


def test_extra_session_bad_input(login_as: LoginAs) -> None:
    client = login_as("coordinator")
    cases = [
        ({"day": "2020-01-07"}, "kan inte ligga bakåt i tiden"),
        ({"day": "not-a-date"}, "Datum"),
        ({"meeting_minutes": "5"}, "Ange mellan 15 och 240 minuter."),
        ({"start_time": "16:00", "end_time": "13:00"}, "Ändringen gjordes inte"),
        ({"forum": "nowhere"}, "Forum"),
    ]
    for change, expected in cases:
        data = {
            "forum": "mora",
            "day": "2027-01-14",
            "start_time": "13:00",
            "end_time": "16:00",
            "meeting_minutes": "60",
            "buffer_minutes": "15",
        } | change
        response = client.post("/admin/sessions/extra", data=data)
        assert response.status_code == 422, change
        assert expected in text_of(response.get_data(as_text=True)), change


def test_department_create_edit_and_duplicate(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("admin")
    mora = seeded.scalar(select(Forum).where(Forum.slug == "mora"))
    assert mora is not None
    data = {
        "name": "Kultur och fritid Mora",
        "slug": "kultur-mora",
        "kind": "department",
        "email": "kultur@mora.example",
        "areas": "evenemang, lokaler",
        "capacity_per_session": "2",
        "forums": [str(mora.id)],
        "active": "y",
    }
    assert client.post("/admin/departments/new", data=data).status_code == 302
    department = seeded.scalar(select(Department).where(Department.slug == "kultur-mora"))
    assert department is not None
    assert department.responsibility_areas == ["evenemang", "lokaler"]
    assert [f.slug for f in department.forums] == ["mora"]
    assert "Kultur och fritid Mora" in page_text(client, "/admin/departments")
    response = client.post("/admin/departments/new", data=data | {"name": "Dubblett"})
    assert response.status_code == 422
    assert "använder redan kortnamnet kultur-mora" in text_of(response.get_data(as_text=True))
    response = client.post("/admin/departments/new", data=data | {"slug": "Inte OK!"})
    assert response.status_code == 422
    assert "små bokstäver" in text_of(response.get_data(as_text=True))
    edit = client.post(
        f"/admin/departments/{department.id}", data=data | {"capacity_per_session": "5"}
    )
    assert edit.status_code == 302
    seeded.expire_all()
    assert department.capacity_per_session == 5
    assert client.get("/admin/departments/999999").status_code == 404


def test_representative_deputy_active_and_absence(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("admin")
    data = _new_representative_form(seeded) | {"is_deputy": "y"}
    response = client.post("/admin/representatives/new", data=data)
    assert response.status_code == 302
    rep = seeded.scalar(
        select(Representative).where(Representative.email == "kim.ny@moraorsa.example")
    )
    assert rep is not None and rep.is_deputy and rep.active and rep.user_id is None
    # A coordinator records an absence, and removes it again.
    client.post("/logout")
    client = login_as("coordinator")
    response = client.post(
        f"/admin/representatives/{rep.id}/absences",
        data={"start_date": "2027-01-10", "end_date": "2027-01-20", "reason": "Semester"},
    )
    assert response.status_code == 302
    absence = seeded.scalar(select(Absence).where(Absence.representative_id == rep.id))
    assert absence is not None and absence.reason == "Semester"
    assert "borta 2027-01-10–2027-01-20" in page_text(client, "/admin/departments")
    assert "Semester" in page_text(client, f"/admin/representatives/{rep.id}")
    response = client.post(
        f"/admin/representatives/{rep.id}/absences",
        data={"start_date": "2027-01-20", "end_date": "2027-01-10"},
    )
    assert response.status_code == 422
    assert "sista dag kan inte vara före" in text_of(response.get_data(as_text=True))
    # Removing is asked once more: a bare POST only leads to the question.
    refused = client.post(f"/admin/absences/{absence.id}/delete")
    assert refused.status_code == 303
    assert refused.headers["Location"].endswith(f"/admin/absences/{absence.id}/delete")
    assert seeded.scalar(select(Absence).where(Absence.representative_id == rep.id)) is not None
    question = page_text(client, f"/admin/absences/{absence.id}/delete")
    assert "Ta bort frånvaron?" in question and "Semester" in question
    done = client.post(f"/admin/absences/{absence.id}/delete", data={"confirm": "yes"})
    assert done.status_code == 302
    assert seeded.scalar(select(Absence).where(Absence.representative_id == rep.id)) is None
    # ... but a coordinator cannot change the representative's details.
    assert client.post(f"/admin/representatives/{rep.id}", data=data).status_code == 403
    client.post("/logout")
    client = login_as("admin")
    # Deactivate (no "active" in the form: an unticked checkbox).
    data.pop("active")
    assert client.post(f"/admin/representatives/{rep.id}", data=data).status_code == 302
    seeded.expire_all()
    assert not rep.active
    assert "inaktiv" in page_text(client, "/admin/departments")


def test_users_create_edit_unlock(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("admin")
    data = {
        "name": "Ny Samordnare",
        "email": "ny@mora.example",
        "role": "coordinator",
        "password": "ett-langt-losenord",
        "active": "y",
    }
    assert client.post("/admin/users/new", data=data).status_code == 302
    user = seeded.scalar(select(User).where(User.email == "ny@mora.example"))
    assert user is not None and user.role == "coordinator"
    response = client.post(
        "/admin/users/new", data=data | {"email": "kort@mora.example", "password": "kort"}
    )
    assert response.status_code == 422
    assert "minst 10 tecken" in text_of(response.get_data(as_text=True))
    response = client.post("/admin/users/new", data=data | {"password": ""})
    assert response.status_code == 422
    assert "behöver ett lösenord" in text_of(response.get_data(as_text=True))
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 422
    assert "Det finns redan en användare" in text_of(response.get_data(as_text=True))
    response = client.post("/admin/users/new", data=data | {"role": "superuser"})
    assert response.status_code == 422
    # Lock by failures, then unlock from the list.
    user.failed_logins = 0
    from datetime import UTC, datetime, timedelta

    user.locked_until = datetime(2026, 11, 30, 9, 0, tzinfo=UTC) + timedelta(hours=1)
    seeded.commit()
    assert "låst till" in page_text(client, "/admin/users")
    assert client.post(f"/admin/users/{user.id}/unlock").status_code == 302
    seeded.expire_all()
    assert user.locked_until is None


def test_admin_cannot_demote_themselves(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("admin")
    admin = seeded.scalar(select(User).where(User.role == "admin"))
    assert admin is not None
    response = client.post(
        f"/admin/users/{admin.id}",
        data={"name": admin.name, "email": admin.email, "role": "viewer", "active": "y"},
    )
    assert response.status_code == 422
    assert "din egen roll" in text_of(response.get_data(as_text=True))


def test_admin_forms_take_text_as_the_api_does(login_as: LoginAs, seeded: Db) -> None:
    """Web forms use the same input rules as the API (booking.services.inputs): a control
    character from Word or a second address in an e-mail field is refused with a message in
    Swedish, and nothing is saved; what was typed stays in the form."""
    client = login_as("admin")
    base = _new_representative_form(seeded)
    for field, bad in (
        ("name", "Kim\x0bNy"),
        ("name", "Kim\x1b[31mNy"),
        ("email", "kim@moraorsa.example,spion@annan.example"),
        ("email", "kim@moraorsa.example\r\nBcc: spion@annan.example"),
    ):
        response = client.post("/admin/representatives/new", data=base | {field: bad})
        assert response.status_code == 422, (field, bad)
        text = text_of(response.get_data(as_text=True))
        expected = "styrtecken" if field == "name" else "giltig e-postadress"
        assert expected in text.lower(), (field, text[:400])
    assert seeded.scalar(select(Representative).where(Representative.name.like("Kim%"))) is None
    response = client.post("/admin/sessions/extra", data={"reason": "a\x00b"})
    assert response.status_code in (400, 422)
