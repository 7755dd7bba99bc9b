"""The case's documents on the staff case page (issue 14 §4): the list, an upload, a download.

Who may read them is the visibility policy's answer for the case's description
(booking.domain.documents.may_see_documents): a reader who may not open the case gets 403 from
``seen_of``, one who may open it but not see the business's material gets 403 here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from booking.domain import documents as rules
from booking.domain.visibility import Visibility
from booking.models import Case, CaseDocument
from booking.services.errors import NotFound, ServiceError
from booking.services.preparation import documents
from booking.web import web_bp
from booking.web.auth import current_user, requires
from booking.web.forms.account import ActionForm
from booking.web.messages import BY_REASON, service_message
from booking.web.policy import can
from booking.web.views.admin.common import actor
from booking.web.views.cases.common import case_or_404, seen_of
from booking.web_support import get_db, now

MAX_MB = rules.MAX_FILE_BYTES // rules.MB


@dataclass(frozen=True)
class Panel:
    """The documents section of the case page."""

    items: list[CaseDocument]
    may_upload: bool  # the reader's role may add one and the case holds fewer than the most
    max_mb: int = MAX_MB
    max_files: int = rules.MAX_FILES_PER_CASE


def panel(case: Case, seen: Visibility) -> Panel | None:
    """The case's documents for its page, or None when the reader may not see them."""
    if not rules.may_see_documents(seen):
        return None
    items = documents.for_case(get_db(), case.id)
    may_upload = can(current_user(), "upload_documents")
    return Panel(items, may_upload and len(items) < rules.MAX_FILES_PER_CASE)


def _readable_case(case_id: int) -> Case:
    case = case_or_404(case_id)
    if not rules.may_see_documents(seen_of(case)):
        abort(403)
    return case


def _refused(case: Case, status: int, message: str) -> tuple[str, int]:
    page = render_template("web/cases/document_refused.html", case=case, message=message)
    return page, status


@web_bp.post("/cases/<int:case_id>/dokument")
@requires("upload_documents")
def case_document_upload(case_id: int) -> Any:
    case = _readable_case(case_id)
    # Only this form takes a file: the app's 1 MB limit is raised here, before the body is read.
    request.max_content_length = rules.MAX_UPLOAD_REQUEST_BYTES
    try:
        form = ActionForm()
        sent = request.files.get("document")
    except RequestEntityTooLarge:
        return _refused(case, 413, BY_REASON["document_too_large"]({"max_mb": MAX_MB}))
    if not form.validate_on_submit():  # the CSRF token: the page was open too long
        return _refused(case, 400, _("The form had expired. Reload the page and send it again."))
    db = get_db()
    try:
        document = documents.upload(
            db,
            case.id,
            (sent.filename or "") if sent else "",
            sent.read(rules.MAX_FILE_BYTES + 1) if sent else b"",
            actor(),
            now(),
        )
    except ServiceError as exc:
        db.rollback()
        return _refused(case_or_404(case_id), exc.status, service_message(exc))
    flash(_("The document %(name)s is uploaded.", name=document.filename), "success")
    return redirect(url_for("web.case_detail", case_id=case_id, _anchor="documents-h"))


@web_bp.get("/cases/<int:case_id>/dokument/<int:document_id>")
@requires()
def case_document(case_id: int, document_id: int) -> Response:
    """A document as a download, for whoever may see the case's documents."""
    case = _readable_case(case_id)
    try:
        document = documents.get(get_db(), case.id, document_id)
    except NotFound:
        abort(404)
    headers = rules.download_headers(document.filename, document.content_type)
    return Response(document.data, headers=headers)
