"""Cases: list, register, edit, proposals and booking, the case page."""

from __future__ import annotations

from typing import Any

from flask import render_template

from booking.web import web_bp
from booking.web.auth import requires


@web_bp.get("/cases")
@requires("view_cases")
def case_list() -> Any:
    return render_template("web/cases/list.html")


@web_bp.route("/cases/new", methods=["GET", "POST"])
@requires("edit_cases")
def case_new() -> Any:
    return render_template("web/cases/list.html")


@web_bp.get("/cases/<int:case_id>")
@requires()
def case_detail(case_id: int) -> Any:
    return render_template("web/cases/list.html")
