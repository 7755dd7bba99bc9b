"""The document rules (issue 14 §4): a file is what its bytes say, its name is made safe, and
every download is an attachment that no browser runs as a page."""

from __future__ import annotations

import pytest

from booking.domain.documents import (
    JPEG,
    MAX_FILENAME_CHARS,
    PDF,
    PNG,
    content_disposition,
    detect_type,
    download_headers,
    may_see_documents,
    safe_filename,
)
from booking.domain.visibility import FULL, NOTHING, Visibility

PDF_BYTES = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF_BYTES, PDF),
        (PNG_BYTES, PNG),
        (JPEG_BYTES, JPEG),
        (b"<!doctype html><script>alert(1)</script>", None),
        (b"  %PDF-1.7 (not at the start)", None),
        (b"<html>%PDF-1.7</html>", None),
        (b"GIF89a", None),
        (b"PK\x03\x04 a zip or a docx", None),
        (b"", None),
    ],
)
def test_the_type_is_what_the_bytes_say(data: bytes, expected: str | None) -> None:
    assert detect_type(data) == expected


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("Ritning kök.pdf", PDF, "Ritning kök.pdf"),
        ("C:\\Users\\Lisa\\Mina dokument\\meny.pdf", PDF, "meny.pdf"),
        ("../../etc/passwd", PDF, "passwd.pdf"),
        ("meny.html", PDF, "meny.html.pdf"),
        ("plan\u202egpj.exe", JPEG, "plangpj.exe.jpg"),  # no right-to-left override
        ("tab\there\nnewline.png", PNG, "tab here newline.png"),
        ("FOTO.JPEG", JPEG, "FOTO.JPEG"),
        ("", PDF, "dokument.pdf"),
        (".pdf", PDF, "pdf.pdf"),
        ("...hidden", PNG, "hidden.png"),
    ],
)
def test_a_stored_name_has_no_path_no_control_characters_and_the_right_ending(
    name: str, content_type: str, expected: str
) -> None:
    assert safe_filename(name, content_type) == expected


def test_a_long_name_is_cut_but_keeps_its_ending() -> None:
    name = safe_filename("å" * 500 + ".pdf", PDF)
    assert len(name) == MAX_FILENAME_CHARS and name.endswith("å.pdf")


def test_documents_go_where_the_description_goes() -> None:
    assert may_see_documents(FULL) and not may_see_documents(NOTHING)
    feed_like = Visibility(category=True, organisation=True, description=False, contact=False)
    assert not may_see_documents(feed_like)


def test_every_download_is_an_attachment_with_its_type_and_no_sniffing() -> None:
    headers = download_headers('Ritning kök "1".pdf', PDF)
    assert headers == {
        "Content-Type": "application/pdf",
        "Content-Disposition": 'attachment; filename="Ritning kok _1_.pdf"; '
        "filename*=UTF-8''Ritning%20k%C3%B6k%20%221%22.pdf",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, no-store",
    }
    assert content_disposition("plan.png") == 'attachment; filename="plan.png"'
