"""API tokens: list and revoke (issue 11)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from booking.services.access import api_tokens
from booking.web import web_bp
from booking.web.auth import current_user, requires
from booking.web.forms.account import ActionForm
from booking.web.views.admin.common import actor, get_or_404
from booking.web_support import get_db, now


@web_bp.get("/admin/tokens")
@requires("manage_users")
def admin_tokens() -> Any:
    user = current_user()
    return render_template("web/admin/tokens.html", tokens=api_tokens.list_tokens(get_db(), user))


@web_bp.post("/admin/tokens/<int:token_id>/revoke")
@requires("manage_users")
def admin_token_revoke(token_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    token = get_or_404(_revoke_token, token_id)
    flash(_("The API token %(name)s is revoked.", name=token.name), "success")
    return redirect(url_for("web.admin_tokens"))


def _revoke_token(token_id: int) -> Any:
    return api_tokens.revoke_token(get_db(), token_id, now=now(), actor=actor())
