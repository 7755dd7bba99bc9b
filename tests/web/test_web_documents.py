"""Documents before the meeting (issue 14 §4), through the pages: the business uploads on its
case page, staff on the case page; only PDF, PNG and JPEG by their bytes, 10 MB a file, 20 a
case; a refusal says what to do in Swedish and loses nothing; every download is an attachment
that no browser runs, for the case's own link or whoever the visibility policy lets see it."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from webhelpers import LoginAs, book_directly, text_of
from werkzeug.test import TestResponse

from booking.domain.documents import MAX_FILES_PER_CASE, MB
from booking.models import AuditEvent, Case, CaseDocument
from booking.services.demo import DEMO_LOGINS
from booking.services.invitations import links as invitations

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
HTML = b"<!doctype html><script>fetch('/admin')</script>"


def _customer_path(db: Session, case: Case) -> str:
    link = invitations.customer_link(db, case, base_url="", secret_key="test-secret")
    db.commit()
    return link


BOUNDARY = "----forumtestboundary"


def multipart(
    data: bytes, name: str, content_type: str = "application/pdf", **fields: str
) -> bytes:
    """A form with one file (and ``fields``), encoded here: the test client's own encoder
    spools a large body to a temporary file it never closes."""
    parts = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    )
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="document"; '
        f'filename="{name}"\r\nContent-Type: {content_type}\r\n\r\n'
    )
    return parts + head.encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def _upload(
    client: FlaskClient,
    url: str,
    data: bytes,
    name: str,
    content_type: str = "application/pdf",
    **fields: str,
) -> TestResponse:
    return client.post(
        url,
        data=multipart(data, name, content_type, **fields),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


@pytest.fixture
def case(seeded: Session) -> Case:
    return book_directly(seeded).case


@pytest.fixture
def path(seeded: Session, case: Case) -> str:
    return _customer_path(seeded, case)


def _documents(db: Session, case: Case) -> list[CaseDocument]:
    db.expire_all()
    return list(db.scalars(select(CaseDocument).where(CaseDocument.case_id == case.id)))


def test_the_business_uploads_a_pdf_and_finds_it_on_its_page(
    client: FlaskClient, seeded: Session, case: Case, path: str
) -> None:
    page = client.get(path)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    # The demo forum's guide for a new establishment, on the case page.
    assert "Ta gärna med" in page.text and "Planlösning" in page.text

    sent = _upload(client, f"{path}/dokument", PDF, "Ritning kök.pdf")
    assert sent.status_code == 302
    after = client.get(path)
    assert "Dokumentet är uppladdat" in text_of(after.text)  # the confirmation, once
    assert "Ritning kök.pdf" in after.text
    assert "Dokumentet är uppladdat" not in client.get(path).text

    (stored,) = _documents(seeded, case)
    assert (stored.content_type, stored.size, stored.data) == ("application/pdf", len(PDF), PDF)
    assert stored.uploaded_by == "customer"
    event = seeded.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "case_document")
    ).one()
    assert (event.action, event.case_id, event.actor) == ("upload", case.id, "customer")
    assert event.after == {"filename": "Ritning kök.pdf", "size": len(PDF),
                           "content_type": "application/pdf"}  # fmt: skip


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (HTML, "meny.html"),
        (HTML, "meny.pdf"),  # HTML bytes behind a .pdf name
        (b"PK\x03\x04 word document", "ansokan.docx"),
    ],
)
def test_anything_but_pdf_png_jpeg_is_refused_with_a_swedish_message(
    client: FlaskClient, seeded: Session, case: Case, path: str, data: bytes, name: str
) -> None:
    answer = _upload(client, f"{path}/dokument", data, name, "application/pdf")
    assert answer.status_code == 400
    words = text_of(answer.text)
    assert "bara PDF, PNG och JPEG" in words and case.reference in words
    assert 'aria-invalid="true"' in answer.text
    assert _documents(seeded, case) == []


def test_an_upload_without_a_file_is_asked_for(
    client: FlaskClient, seeded: Session, case: Case, path: str
) -> None:
    answer = client.post(f"{path}/dokument", data={}, content_type="multipart/form-data")
    assert answer.status_code == 400 and "Välj en fil" in answer.text


def test_thirty_megabytes_get_a_clear_413_and_the_page_back(
    client: FlaskClient, seeded: Session, case: Case, path: str
) -> None:
    answer = _upload(client, f"{path}/dokument", PDF + b"0" * (30 * MB), "stor.pdf")
    assert answer.status_code == 413
    words = text_of(answer.text)
    assert "Filen är för stor: högst 10 MB per fil" in words
    assert case.reference in words and "Ladda upp" in words  # the case page, to try again
    # A file just over 10 MB inside a request under the limit: the same answer.
    answer = _upload(client, f"{path}/dokument", PDF + b"0" * (10 * MB), "stor.pdf")
    assert answer.status_code == 413
    assert _documents(seeded, case) == []


def test_the_twenty_first_file_is_refused(
    client: FlaskClient, seeded: Session, case: Case, path: str
) -> None:
    for number in range(MAX_FILES_PER_CASE):
        assert _upload(client, f"{path}/dokument", PNG, f"bild {number}.png").status_code == 302
    answer = _upload(client, f"{path}/dokument", PNG, "en till.png")
    assert answer.status_code == 400
    assert f"redan {MAX_FILES_PER_CASE} dokument" in answer.text
    assert len(_documents(seeded, case)) == MAX_FILES_PER_CASE
    assert 'type="file"' not in client.get(path).text  # the form is gone once full


def _download_is_safe(response: TestResponse, name_header: str) -> None:
    headers = response.headers
    assert response.status_code == 200
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == name_header
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert headers["Cache-Control"] == "private, no-store"
    assert response.data == PDF


NAME_HEADER = "attachment; filename=\"Ritning kok.pdf\"; filename*=UTF-8''Ritning%20k%C3%B6k.pdf"


def test_downloads_are_attachments_for_the_case_link_and_the_coordinator(
    client: FlaskClient, seeded: Session, case: Case, path: str, login_as: LoginAs
) -> None:
    _upload(client, f"{path}/dokument", PDF, "Ritning kök.pdf")
    (document,) = _documents(seeded, case)
    _download_is_safe(client.get(f"{path}/dokument/{document.id}"), NAME_HEADER)

    # Another case's link cannot fetch it; an unknown document is not found.
    other = book_directly(seeded, reference="F-2026-0002", slot_index=1).case
    other_path = _customer_path(seeded, other)
    assert client.get(f"{other_path}/dokument/{document.id}").status_code == 404
    assert client.get(f"{path}/dokument/{document.id + 1000}").status_code == 404

    staff = login_as("coordinator")
    page = staff.get(f"/cases/{case.id}")
    assert "Ritning kök.pdf" in page.text
    link = f"/cases/{case.id}/dokument/{document.id}"
    assert link in page.text
    _download_is_safe(staff.get(link), NAME_HEADER)
    assert staff.get(f"/cases/{other.id}/dokument/{document.id}").status_code == 404


@pytest.mark.parametrize("role", ["viewer", "receiver"])
def test_staff_who_may_not_see_the_case_material_get_403(
    client: FlaskClient, seeded: Session, case: Case, path: str, login_as: LoginAs, role: str
) -> None:
    """Management sees what a forum feed shows (never the business's material); a receiver
    may not open the case at all."""
    _upload(client, f"{path}/dokument", PDF, "Ritning kök.pdf")
    (document,) = _documents(seeded, case)
    staff = login_as(role)
    assert staff.get(f"/cases/{case.id}/dokument/{document.id}").status_code == 403
    assert _upload(staff, f"/cases/{case.id}/dokument", PDF, "x.pdf").status_code == 403
    if role == "viewer":
        page = staff.get(f"/cases/{case.id}")
        assert page.status_code == 200 and "Ritning kök.pdf" not in page.text
        assert "dokument/" not in page.text


@pytest.mark.parametrize("confidential", [False, True])
def test_an_invited_representative_sees_them_where_the_policy_shows_the_description(
    client: FlaskClient, seeded: Session, login_as: LoginAs, confidential: bool
) -> None:
    """The representative of the demo is invited to the meeting: with the business's consent
    they see its documents; of a confidential case only its handlers do."""
    case = book_directly(seeded, reference="F-2026-0009", confidential=confidential).case
    path = _customer_path(seeded, case)
    _upload(client, f"{path}/dokument", PDF, "Ritning kök.pdf")
    (document,) = _documents(seeded, case)
    link = f"/cases/{case.id}/dokument/{document.id}"
    representative = login_as("representative")
    assert representative.get(link).status_code == (403 if confidential else 200)
    assert ("Ritning kök.pdf" in representative.get(f"/cases/{case.id}").text) is not confidential
    representative.post("/logout")
    assert login_as("admin").get(link).status_code == 200


def test_a_representative_not_invited_gets_403(
    client: FlaskClient, seeded: Session, login_as: LoginAs
) -> None:
    case = book_directly(seeded, reference="F-2026-0010", answers=()).case  # nobody invited
    path = _customer_path(seeded, case)
    _upload(client, f"{path}/dokument", PDF, "Ritning kök.pdf")
    (document,) = _documents(seeded, case)
    representative = login_as("representative")
    assert representative.get(f"/cases/{case.id}/dokument/{document.id}").status_code == 403


def test_staff_upload_on_the_case_page(
    client: FlaskClient, seeded: Session, case: Case, login_as: LoginAs
) -> None:
    staff = login_as("coordinator")
    page = staff.get(f"/cases/{case.id}")
    assert re.search(r'action="/cases/\d+/dokument"', page.text)
    sent = _upload(staff, f"/cases/{case.id}/dokument", PDF, "../../Situationsplan.pdf")
    assert sent.status_code == 302
    after = staff.get(f"/cases/{case.id}")
    assert "Dokumentet Situationsplan.pdf är uppladdat" in text_of(after.text)
    assert "Dokument uppladdat" in text_of(after.text)  # in the case's history
    (stored,) = _documents(seeded, case)
    assert (stored.filename, stored.uploaded_by) == (
        "Situationsplan.pdf",
        DEMO_LOGINS["coordinator"],
    )

    refused = _upload(staff, f"/cases/{case.id}/dokument", HTML, "sida.html")
    assert refused.status_code == 400
    words = text_of(refused.text)
    assert "bara PDF-, PNG- och JPEG-filer" in words and "Tillbaka till ärendet" in words

    big = _upload(staff, f"/cases/{case.id}/dokument", PDF + b"0" * (30 * MB), "stor.pdf")
    assert big.status_code == 413
    assert "Filen är för stor" in big.text
    assert len(_documents(seeded, case)) == 1


def test_other_requests_keep_the_small_body_limit(client: FlaskClient, seeded: Session) -> None:
    """Only the upload forms take 11 MB; the request form still refuses 2 MB."""
    answer = client.post("/forum/mora/boka", data={"description": "x" * (2 * MB)})
    assert answer.status_code == 413


def test_the_staff_upload_checks_its_csrf_token(
    app: Flask, client: FlaskClient, seeded: Session, case: Case, login_as: LoginAs
) -> None:
    staff = login_as("coordinator")
    app.config["WTF_CSRF_ENABLED"] = True
    page = staff.get(f"/cases/{case.id}").text
    form = page[page.index('enctype="multipart/form-data"') :]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    assert _upload(staff, f"/cases/{case.id}/dokument", PDF, "a.pdf").status_code == 400
    sent = _upload(staff, f"/cases/{case.id}/dokument", PDF, "a.pdf", csrf_token=token.group(1))
    assert sent.status_code == 302 and len(_documents(seeded, case)) == 1
