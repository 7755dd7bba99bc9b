"""What each required department will cover in the meeting: a small form on the case page."""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from booking.services.cases import covers as covers_service
from booking.services.errors import ServiceError
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.messages import service_message
from booking.web.views.admin.common import actor
from booking.web.views.cases.common import case_or_404
from booking.web_support import get_db, now

FIELD = re.compile(r"covers-(\d{1,10})")


def typed_covers() -> dict[int, str]:
    """department id → the text typed for it (the form's ``covers-<id>`` fields)."""
    typed: dict[int, str] = {}
    for key, value in request.form.items():
        match = FIELD.fullmatch(key)
        if match:
            typed[int(match.group(1))] = value
    return typed


@web_bp.post("/cases/<int:case_id>/covers")
@requires("edit_cases")
def case_covers(case_id: int) -> Any:
    from booking.web.views.cases.detail import case_page

    case = case_or_404(case_id)
    typed = typed_covers()
    try:
        changed = covers_service.set_covers(get_db(), case.id, typed, actor(), now())
    except ServiceError as exc:
        get_db().rollback()
        # The page again with everything typed kept, and what to fix.
        return case_page(
            case_or_404(case_id), 422, covers_typed=typed, covers_error=service_message(exc)
        )
    if changed:
        flash(_("What the departments will cover is saved."), "success")
    return redirect(url_for("web.case_detail", case_id=case_id, _anchor="covers-h"))
