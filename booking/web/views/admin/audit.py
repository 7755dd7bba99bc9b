"""The audit log page for the registrar and the auditor (issue 15): filters, pages of at most
100 events, and a CSV export (itself audited). Administrators only: the recorded before/after
states can hold any case's personal data, and administrators may see every case."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request, url_for

from booking.services import audit, audit_log
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.forms.admin import AuditFilterForm
from booking.web.views.admin.common import actor
from booking.web_support import get_db, now


def _filters(form: AuditFilterForm) -> audit_log.AuditFilters:
    return audit_log.AuditFilters(
        actor=form.actor.data or "",
        entity_type=form.entity_type.data or "",
        action=form.action.data or "",
        case=form.case.data or "",
        start=form.start.data,
        end=form.end.data,
    )


def _form() -> AuditFilterForm:
    form = AuditFilterForm(request.args, meta={"csrf": False})
    types, actions = audit_log.kinds(get_db())
    form.entity_type.choices = [("", "–"), *((t, t) for t in types)]
    form.action.choices = [("", "–"), *((a, a) for a in actions)]
    return form


@web_bp.get("/admin/audit")
@requires("view_audit")
def admin_audit() -> Any:
    form = _form()
    number = request.args.get("page", "1")
    page_number = int(number) if number.isascii() and number.isdigit() and len(number) < 7 else 1
    if request.args and not form.validate():
        return render_template("web/admin/audit.html", form=form, events=[], more=False), 400
    events, more = audit_log.page(get_db(), _filters(form), page_number)
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "web/admin/audit.html",
        form=form,
        events=events,
        more=more,
        page=page_number,
        next_url=url_for("web.admin_audit", **args, page=page_number + 1) if more else None,
        prev_url=url_for("web.admin_audit", **args, page=page_number - 1)
        if page_number > 1
        else None,
        csv_url=url_for("web.admin_audit_csv", **args),
    )


@web_bp.get("/admin/audit.csv")
@requires("view_audit")
def admin_audit_csv() -> Any:
    form = _form()
    if not form.validate():
        return render_template("web/admin/audit.html", form=form, events=[], more=False), 400
    db = get_db()
    filters = _filters(form)
    body = audit_log.to_csv_sv(db, filters)
    audit.record(db, actor(), "audit", None, "export", after=dict(request.args), at=now())
    db.commit()
    return Response(
        "\ufeff" + body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="granskningslogg.csv"',
            "Cache-Control": "no-store",
        },
    )
