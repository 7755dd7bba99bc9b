"""Documents a business brings to its case before the meeting (issue 14 §4): which files are
accepted, how their names are made safe, who may read them and how they are served.

A file is what its first bytes say it is, never what its name or the browser claims: only PDF,
PNG and JPEG are taken (drawings, menus, site plans), so an HTML page or a script renamed to
``.pdf`` is refused. Every download is an attachment with the detected type, ``nosniff`` and a
sandboxing CSP, so even a file that slipped through would never run as a page of ours.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from booking.domain.visibility import Visibility

MB = 1024 * 1024
MAX_FILE_BYTES = 10 * MB
MAX_FILES_PER_CASE = 20
# A request holds one file plus the multipart framing and a few fields; anything larger is
# refused before it is read (413) instead of being buffered.
MAX_UPLOAD_REQUEST_BYTES = MAX_FILE_BYTES + MB
MAX_FILENAME_CHARS = 120  # the column holds 200; 120 keeps names readable in lists and mails

# Detected type → the extension a stored name must end with, and its magic bytes.
PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
}
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)
ALLOWED_TYPES_TEXT = "PDF, PNG, JPEG"
DEFAULT_STEM = "dokument"


def detect_type(data: bytes) -> str | None:
    """The content type the file's first bytes prove (PDF, PNG or JPEG), else None."""
    for magic, content_type in MAGIC:
        if data.startswith(magic):
            return content_type
    return None


def safe_filename(name: str, content_type: str) -> str:
    """The name to store and offer on download: the last path part only (a browser may send
    ``C:\\Users\\…\\plan.pdf``), no control or format characters (no RTL override hiding the
    real extension), whitespace collapsed, no leading dots, at most ``MAX_FILENAME_CHARS``, and
    ending with the detected type's extension (``menu.html`` holding a PDF is
    ``menu.html.pdf``), so the file opens in the program its bytes belong to."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(" " if ch.isspace() else ch for ch in base)  # a TAB or line break: a space
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = " ".join(base.split()).lstrip(". ")
    extensions = EXTENSIONS.get(content_type, ("",))
    if not base.lower().endswith(extensions):
        base = f"{base or DEFAULT_STEM}{extensions[0]}"
    stem, dot, ext = base.rpartition(".")
    if not stem:  # the whole name was the extension (".pdf")
        stem = DEFAULT_STEM
    room = MAX_FILENAME_CHARS - len(ext) - len(dot)
    return f"{stem[:room].rstrip(' .') or DEFAULT_STEM}{dot}{ext}"


def may_see_documents(seen: Visibility) -> bool:
    """Documents are the business's own material (drawings, menus, plans), like its
    description: a staff reader sees them exactly where the visibility policy shows the
    description (handlers always; others only for a case that is not confidential and whose
    consent reaches them)."""
    return seen.description


def content_disposition(filename: str) -> str:
    """``attachment`` with the name (RFC 6266): a plain ASCII fallback for old clients and the
    exact UTF-8 name in ``filename*`` (RFC 5987), so "Ritning kök åäö.pdf" survives."""
    fallback = "".join(
        ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_"
        for ch in unicodedata.normalize("NFKD", filename)
        if not unicodedata.combining(ch)
    )
    value = f'attachment; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


def download_headers(filename: str, content_type: str) -> dict[str, str]:
    """The headers of every document download, staff's and the business's alike: always a
    download (never shown inline), the detected type, no sniffing, a sandbox should a browser
    render it anyway, and no copy kept by a browser or proxy."""
    return {
        "Content-Type": content_type,
        "Content-Disposition": content_disposition(filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, no-store",
    }
