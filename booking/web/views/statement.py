"""The accessibility statement (tillgänglighetsredogörelse), required of public-sector web
services by the Swedish law on accessibility of digital public service (DOS-lagen, 2018:1937),
in DIGG's model structure; linked from every page, public ones included (issue 15)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from booking.i18n import current_language
from booking.web import web_bp
from booking.web_support import settings


@web_bp.get("/tillganglighet")
def accessibility_statement() -> Any:
    cfg = settings()
    return render_template(
        "web/statement.html",
        lang=current_language(),
        owner=cfg.accessibility_owner,
        contact=cfg.accessibility_contact,
        assessed=cfg.accessibility_assessed,
    )
