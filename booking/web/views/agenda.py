"""The agenda (dagordning) of a forum afternoon: a printable page for staff who see the
afternoons, each case as the reader may see it (booking.services.preparation.agenda)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template

from booking.services.errors import NotFound
from booking.services.preparation import agenda as agenda_service
from booking.web import web_bp
from booking.web.auth import current_user, requires
from booking.web.policy import can, reader
from booking.web_support import get_db


@web_bp.get("/sessions/<int:session_id>/dagordning")
@requires("view_overview")
def session_agenda(session_id: int) -> Any:
    db = get_db()
    try:
        agenda = agenda_service.build_agenda(db, session_id)
    except NotFound:
        abort(404)
    user = current_user()
    items = agenda_service.for_staff(db, agenda, reader(user))
    return render_template(
        "web/agenda.html",
        agenda=agenda,
        items=items,
        can_open_case=can(user, "view_cases"),
    )
