"""Category guides (/admin/forums/<id>/guides, issue 14 §4): per business category, the
questions the departments will ask and what the business should bring, in Swedish and English.
The business meets them in the acknowledgement mail, on its follow page and its case page."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from booking.domain.vocabulary import BUSINESS_CATEGORIES, CaseCategory
from booking.models import Forum
from booking.services.errors import ServiceError
from booking.services.preparation import guides
from booking.services.scheduling import forums as forum_service
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.forms.guides import GuideForm
from booking.web.labels import category_label
from booking.web.views.admin.common import actor, get_or_404, show_problems
from booking.web_support import get_db, now


def _forms(forum: Forum, sent: CaseCategory | None = None) -> dict[CaseCategory, GuideForm]:
    """One form per business category, filled from the stored guide; the one just sent keeps
    what was typed."""
    stored = guides.guides_of(get_db(), forum.id)
    forms: dict[CaseCategory, GuideForm] = {}
    for category in BUSINESS_CATEGORIES:
        if category == sent:
            forms[category] = GuideForm(prefix=category.value)
        else:
            forms[category] = GuideForm(
                formdata=None, obj=stored.get(category), prefix=category.value
            )
    return forms


def _page(forum: Forum, forms: dict[CaseCategory, GuideForm], status: int = 200) -> Any:
    page = render_template(
        "web/admin/guides.html", forum=forum, forms=forms, category_label=category_label
    )
    return page, status


@web_bp.get("/admin/forums/<int:forum_id>/guides")
@requires("manage_forums")
def admin_guides(forum_id: int) -> Any:
    forum = get_or_404(forum_service.get_forum_by_id, get_db(), forum_id)
    return _page(forum, _forms(forum))


@web_bp.post("/admin/forums/<int:forum_id>/guides/<category>")
@requires("manage_forums")
def admin_guide_save(forum_id: int, category: str) -> Any:
    forum = get_or_404(forum_service.get_forum_by_id, get_db(), forum_id)
    if category not in {c.value for c in BUSINESS_CATEGORIES}:
        abort(404)
    kind = CaseCategory(category)
    forms = _forms(forum, sent=kind)
    form = forms[kind]
    if not form.validate_on_submit():
        return _page(forum, forms, 422)
    data = {name: getattr(form, name).data or "" for name in guides.FIELDS}
    try:
        guides.save_guide(get_db(), forum.id, kind, data, actor(), now())
    except ServiceError as exc:
        get_db().rollback()
        show_problems(form, exc)
        return _page(forum, forms, 422)
    flash(_("The guide for %(category)s is saved.", category=category_label(kind)), "success")
    return redirect(url_for("web.admin_guides", forum_id=forum.id, _anchor=f"g-{kind.value}"))
