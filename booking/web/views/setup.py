"""The first-run page (issue 15): reachable only while no administrator exists (404 after), it
creates the first administrator and the first forum, as `flask forum setup` does."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from booking.services.errors import ServiceError
from booking.services.scheduling.first_run import FirstRun, first_run, needs_setup
from booking.services.scheduling.forums import ForumData
from booking.web import web_bp
from booking.web.forms.admin import SetupForm
from booking.web.views.admin.common import show_problems
from booking.web_support import get_db, now, settings


@web_bp.route("/setup", methods=["GET", "POST"])
def first_run_setup() -> Any:
    db = get_db()
    if not needs_setup(db):
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        data = FirstRun(
            admin_email=form.admin_email.data or "",
            admin_name=form.admin_name.data or "",
            password=form.password.data or "",
            forum=ForumData(
                name=form.forum_name.data or "",
                slug=(form.forum_slug.data or "").strip(),
                municipality=form.municipality.data or "",
            ),
        )
        try:
            first_run(db, data, now(), settings().session_horizon_months)
        except ServiceError as exc:
            db.rollback()
            show_problems(form, exc)
        else:
            flash(_("The service is set up. Sign in with the address and password you chose."))
            return redirect(url_for("web.login"))
    status = 422 if request.method == "POST" else 200
    return render_template("web/setup.html", form=form), status
