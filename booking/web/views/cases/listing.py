"""The case list: filters, search, paging."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request

from booking.domain.vocabulary import CaseStatus
from booking.services.cases import queries as case_queries
from booking.services.meetings import overview as overview_service
from booking.web import web_bp
from booking.web.auth import current_user, requires
from booking.web.policy import case_visibility, reader
from booking.web.views.cases.common import PAGE_SIZE
from booking.web_support import get_db


@web_bp.get("/cases")
@requires("view_cases")
def case_list() -> Any:
    db = get_db()
    page = request.args.get("page", "1")
    page_no = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    status = request.args.get("status", "")
    if status and status not in CaseStatus._value2member_map_:
        abort(400)
    forum = request.args.get("forum", "")
    user = current_user()
    # The search matches only what the user may see of a case (a viewer finding a confidential
    # case by its organisation's name would learn whose it is): the same rule as the API's.
    filters = case_queries.CaseFilters(
        status=status or None,
        forum=forum or None,
        q=(request.args.get("q", "").strip()[:100] or None),
        limit=PAGE_SIZE,
        offset=(page_no - 1) * PAGE_SIZE,
        reader=reader(user),
    )
    cases = case_queries.list_cases(db, filters)
    total = case_queries.count_cases(db, filters)
    meetings = overview_service.next_meetings(db, [c.id for c in cases])
    return render_template(
        "web/cases/list.html",
        cases=cases,
        total=total,
        page=page_no,
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        meetings=meetings,
        replies=overview_service.reply_counts(db, [m.id for m in meetings.values()]),
        seen={c.id: case_visibility(user, c) for c in cases},
        forums=overview_service.forums(db),
        statuses=list(CaseStatus),
        filters={"status": status, "forum": forum, "q": request.args.get("q", "")},
    )
