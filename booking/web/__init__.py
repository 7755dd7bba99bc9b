"""Coordinator web UI: server-rendered pages, Flask-WTF forms with CSRF, Swedish by default.

Every core flow works without JavaScript; static/web.js only adds comfort. Views are split by
area in booking/web/views/; roles are checked by :mod:`booking.web.auth` on every view.
Other blueprints' pages can extend ``base.html`` (blocks ``title`` and ``content``).
"""

from __future__ import annotations

from flask import Blueprint, Flask

web_bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)


def init_web(app: Flask) -> None:
    """Register the blueprint, languages, security headers and the HTML error pages."""
    from booking import i18n
    from booking.web import (
        auth,
        errors,
        labels,
        security,
        views,
    )

    i18n.init_app(app)
    views.register()
    auth.init_app(app)
    labels.init_app(app)
    security.init_app(app)
    app.register_blueprint(web_bp)
    errors.init_app(app)
