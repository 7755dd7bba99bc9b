"""The case page's form for what each department will cover, and the printable agenda of a
forum afternoon, per role."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select
from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs, add_document, book_directly, page_text, text_of

from booking.models import Case, CaseDepartment, Meeting, Slot


def _departments(db: Db, case_id: int) -> list[int]:
    return list(
        db.scalars(
            select(CaseDepartment.department_id)
            .where(CaseDepartment.case_id == case_id)
            .order_by(CaseDepartment.department_id)
        )
    )


def _covers(db: Db, case_id: int) -> dict[int, str]:
    db.expire_all()
    rows = db.scalars(select(CaseDepartment).where(CaseDepartment.case_id == case_id))
    return {r.department_id: r.covers for r in rows}


def _session_id(db: Db, meeting: Meeting) -> int:
    slot = db.get(Slot, meeting.slot_id)
    assert slot is not None
    return slot.session_id


def test_the_coordinator_writes_what_each_department_will_cover(
    login_as: LoginAs, seeded: Db
) -> None:
    meeting = book_directly(seeded)
    case_id = meeting.case_id
    first, second, *_ = _departments(seeded, case_id)
    client = login_as("coordinator")
    text = page_text(client, f"/cases/{case_id}")
    assert "Det varje förvaltning tar upp" in text
    response = client.post(
        f"/cases/{case_id}/covers",
        data={f"covers-{first}": "Bygglov för bageriet", f"covers-{second}": ""},
    )
    assert response.status_code == 302 and response.location.endswith("#covers-h")
    assert _covers(seeded, case_id)[first] == "Bygglov för bageriet"
    html = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'value="Bygglov för bageriet"' in html
    assert "Det som förvaltningarna tar upp är sparat." in text_of(html)
    assert "Det som förvaltningarna tar upp ändrades" in text_of(html)  # the history


def test_a_text_too_long_is_refused_with_a_message_and_nothing_typed_is_lost(
    login_as: LoginAs, seeded: Db
) -> None:
    meeting = book_directly(seeded)
    case_id = meeting.case_id
    first, second, *_ = _departments(seeded, case_id)
    client = login_as("coordinator")
    long_text = "Tillstånd " * 51  # 510 characters
    response = client.post(
        f"/cases/{case_id}/covers",
        data={f"covers-{first}": long_text, f"covers-{second}": "Brandskydd & <utrymning>"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    case = seeded.get(Case, case_id)
    assert case is not None
    assert "Korta texten till högst 500 tecken" in text_of(html)
    assert any(d.name in text_of(html) for d in case.departments)  # which one to shorten
    values = [
        unescape(v) for v in re.findall(r'name="covers-\d+" type="text"\s+value="([^"]*)"', html)
    ]
    assert long_text in values and "Brandskydd & <utrymning>" in values
    assert _covers(seeded, case_id) == dict.fromkeys(_departments(seeded, case_id), "")


def test_only_case_handlers_may_write_it(login_as: LoginAs, seeded: Db) -> None:
    meeting = book_directly(seeded)
    first = _departments(seeded, meeting.case_id)[0]
    client = login_as("viewer")
    assert (
        client.post(f"/cases/{meeting.case_id}/covers", data={f"covers-{first}": "x"}).status_code
        == 403
    )
    assert "Det varje förvaltning tar upp" not in page_text(client, f"/cases/{meeting.case_id}")
    coordinator = login_as("coordinator")
    assert coordinator.post("/cases/999999/covers", data={}).status_code == 404


def test_the_agenda_page_shows_each_case_as_the_reader_may_see_it(
    login_as: LoginAs, seeded: Db
) -> None:
    shared = book_directly(seeded)
    secret = book_directly(
        seeded, reference="F-2026-0002", org_name="Hemliga AB", confidential=True, slot_index=1
    )
    session_id = _session_id(seeded, shared)
    url = f"/sessions/{session_id}/dagordning"
    coordinator = login_as("coordinator")
    first = _departments(seeded, shared.case_id)[0]
    coordinator.post(f"/cases/{shared.case_id}/covers", data={f"covers-{first}": "Bygglov"})
    text = page_text(coordinator, url)
    assert "Dagordning" in text and "13:00–14:00" in text and "14:15–15:15" in text
    assert "F-2026-0001 · Siljans Bageri AB" in text and "F-2026-0002 · Hemliga AB" in text
    assert "Nytt bageri med servering i centrala Mora." in text
    assert ": Bygglov" in text
    html = coordinator.get(url).get_data(as_text=True)
    assert "agenda.css" in html  # the print stylesheet
    # Linked from the afternoons, the sessions page and the case page.
    assert url in coordinator.get("/overview?forum=mora").get_data(as_text=True)
    assert url in coordinator.get("/admin/sessions").get_data(as_text=True)
    assert url in coordinator.get(f"/cases/{shared.case_id}").get_data(as_text=True)
    # Management sees the confidential case as its reference only, and no brief.
    viewer = page_text(login_as("viewer"), url)
    assert "Forum – sekretess (F-2026-0002)" in viewer and "Hemliga" not in viewer
    assert "Nytt bageri med servering" not in viewer and "Bygglov" not in viewer
    assert "F-2026-0001 · Siljans Bageri AB" in viewer
    assert secret.case_id


def test_the_agenda_links_each_document_for_those_who_may_see_it(
    login_as: LoginAs, seeded: Db
) -> None:
    shared = book_directly(seeded)
    document = add_document(seeded, shared.case_id, "ritning kök.pdf", b"%PDF-1.4 drawing")
    url = f"/sessions/{_session_id(seeded, shared)}/dagordning"
    link = f"/cases/{shared.case_id}/dokument/{document.id}"
    coordinator = login_as("coordinator")
    assert f'href="{link}"' in coordinator.get(url).get_data(as_text=True)
    download = coordinator.get(link)
    assert download.status_code == 200 and download.data == b"%PDF-1.4 drawing"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    # Management does not see the business's material: neither the link nor the file.
    viewer = login_as("viewer")
    assert link not in viewer.get(url).get_data(as_text=True)
    assert viewer.get(link).status_code in (403, 404)


def test_the_agenda_page_in_english_and_for_whom(login_as: LoginAs, seeded: Db) -> None:
    meeting = book_directly(seeded)
    url = f"/sessions/{_session_id(seeded, meeting)}/dagordning"
    client = login_as("representative")
    assert "F-2026-0001" in page_text(client, url)
    client.post("/language", data={"locale": "en"})
    assert "Agenda (dagordning)" in page_text(client, url)
    page_text(client, "/sessions/999999/dagordning", status=404)
    assert login_as("receiver").get(url).status_code == 403
