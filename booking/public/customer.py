"""The customer's case page ``/c/<token>``: meetings, the agreed timeline, the case's ICS feed,
what to bring (the category guide) and the documents the business uploads before the meeting.

The token comes from the confirmation and minutes e-mails
(booking.services.invitations.links). The customer sees their own case in full, but only
follow-up points marked as shown to them.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from booking.domain import documents as document_rules
from booking.domain.documents import MB
from booking.domain.vocabulary import MeetingStatus
from booking.models import Case
from booking.public import public_bp
from booking.public.messages import BY_REASON, public_message
from booking.services.audit import Actor
from booking.services.errors import NotFound, ServiceError
from booking.services.feeds import tokens as feed_tokens
from booking.services.followup import minutes_access
from booking.services.followup import points as followups
from booking.services.followup.common import local_date
from booking.services.invitations import links as invitations
from booking.services.preparation import documents, guides
from booking.web_support import get_db, now, settings

STATUS_LABELS = {
    "open": "Pågår / In progress",
    "done": "Klar / Done",
    "overdue": "Försenad / Overdue",
}


def _case(token: str) -> Case:
    case = invitations.case_by_customer_token(get_db(), token)
    if case is None or case.anonymised_at is not None:
        abort(404)
    return case


def _feed_url(case: Case) -> str | None:
    """The case's ICS feed (none when its token was revoked)."""
    try:
        token = feed_tokens.ensure(get_db(), "case", case.id, settings().secret_key, now())
    except Exception:  # a revoked feed (NotFound) or an unknown kind: show no link
        get_db().rollback()
        return None
    path: str = feed_tokens.feed_path("case", token)
    return f"{settings().public_base_url}{path}"


# Who the audit trail names for an upload through the case link.
CUSTOMER_ACTOR = "customer"
TOO_LARGE = BY_REASON["document_too_large"]({"max_mb": document_rules.MAX_FILE_BYTES // MB})


@public_bp.get("/c/<token>")
def customer_case(token: str) -> Any:
    return _page(token, _case(token))


def _page(token: str, case: Case, status: int = 200, upload_error: str = "") -> Any:
    db = get_db()
    today = local_date(now(), settings().forum_timezone)
    meetings: list[dict[str, Any]] = []
    for meeting in case.meetings:
        approved = minutes_access.current_approved(db, meeting.id)
        meetings.append(
            {
                "meeting": meeting,
                "cancelled": meeting.status == MeetingStatus.CANCELLED,
                "departments": sorted({a.department.name for a in meeting.attendees if a.active}),
                "minutes": approved,
            }
        )
    return render_template(
        "public/customer.html",
        case=case,
        meetings=meetings,
        rows=followups.timeline(db, case.id, today, customer_view=True),
        status_labels=STATUS_LABELS,
        feed_url=_feed_url(case),
        guide=guides.guide_for_case(db, case),
        documents=documents.for_case(db, case.id),
        token=token,
        upload_error=upload_error,
        limits=document_rules,
    ), status


@public_bp.post("/c/<token>/dokument")
def customer_upload(token: str) -> Any:
    """The business uploads one document. Refusals keep the page and say what to do; nothing
    but the file is on the form, so nothing typed is lost."""
    case = _case(token)
    # Only this form takes a file: the app's 1 MB limit is raised here, before the body is
    # read, and a larger request is refused unread (413).
    request.max_content_length = document_rules.MAX_UPLOAD_REQUEST_BYTES
    try:
        sent = request.files.get("document")
    except RequestEntityTooLarge:
        return _page(token, case, 413, TOO_LARGE)
    db = get_db()
    try:
        documents.upload(
            db,
            case.id,
            (sent.filename or "") if sent else "",
            sent.read(document_rules.MAX_FILE_BYTES + 1) if sent else b"",
            Actor.system(CUSTOMER_ACTOR),
            now(),
        )
    except ServiceError as exc:
        db.rollback()
        return _page(token, case, exc.status, public_message(exc))
    flash("Tack! Dokumentet är uppladdat. / Thank you, the document is uploaded.", "success")
    return redirect(url_for("public.customer_case", token=token, _anchor="dokument"))


@public_bp.get("/c/<token>/dokument/<int:document_id>")
def customer_document(token: str, document_id: int) -> Response:
    """One of the case's documents, always as a download (the same headers as staff's)."""
    case = _case(token)
    try:
        document = documents.get(get_db(), case.id, document_id)
    except NotFound:
        abort(404)
    return Response(
        document.data,
        headers=document_rules.download_headers(document.filename, document.content_type),
    )
