"""A representative's own meetings and the feed links to subscribe to."""

from __future__ import annotations

from typing import Any

from flask import render_template

from booking.web import web_bp
from booking.web.auth import requires


@web_bp.get("/me/meetings")
@requires("my_meetings")
def my_meetings() -> Any:
    return render_template("web/cases/list.html")
