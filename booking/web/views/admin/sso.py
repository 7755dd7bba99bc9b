"""Single sign-on role rules (/admin/sso): "group X → role", "e-mail domain Y → role"."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from booking.domain.vocabulary import Role, SsoMatch
from booking.services.access import sso_rules
from booking.services.errors import ServiceError
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.forms.account import ActionForm
from booking.web.forms.admin import SsoRuleForm
from booking.web.messages import service_message
from booking.web.views.admin.common import actor, get_or_404
from booking.web.views.sso import callback_url
from booking.web_support import get_db, identity_provider, now, settings


def _page(form: SsoRuleForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "web/admin/sso.html",
        form=form,
        rules=sso_rules.list_rules(get_db()),
        sso_enabled=identity_provider() is not None,
        issuer=settings().oidc_issuer,
        redirect_uri=callback_url(),
        groups_claim=settings().oidc_groups_claim,
    ), status


@web_bp.route("/admin/sso", methods=["GET", "POST"])
@requires("manage_users")
def admin_sso() -> Any:
    form = SsoRuleForm()
    if request.method == "GET":
        return _page(form)
    if form.validate_on_submit():
        try:
            rule = sso_rules.add_rule(
                get_db(),
                SsoMatch(form.kind.data),
                form.value.data or "",
                Role(form.role.data),
                actor=actor(),
                now=now(),
            )
        except ServiceError as exc:
            get_db().rollback()
            form.form_errors.append(service_message(exc))
            return _page(form, exc.status if exc.status != 400 else 422)
        flash(_("The rule for %(value)s is added.", value=rule.value), "success")
        return redirect(url_for("web.admin_sso"))
    return _page(form, 422)


@web_bp.post("/admin/sso/<int:rule_id>/remove")
@requires("manage_users")
def admin_sso_remove(rule_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    rule = get_or_404(_remove, rule_id)
    flash(_("The rule for %(value)s is removed.", value=rule.value), "success")
    return redirect(url_for("web.admin_sso"))


def _remove(rule_id: int) -> Any:
    return sso_rules.remove_rule(get_db(), rule_id, actor=actor(), now=now())
