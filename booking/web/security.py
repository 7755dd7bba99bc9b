"""Security headers on every response, and cookie settings for production.

The CSP allows scripts and styles from this origin only: no inline script or style anywhere
in the templates (web.js is a file). Headers a response already set (e.g. a feed) are kept.
"""

from __future__ import annotations

from flask import Flask, Response

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Token links (RSVP, feeds) must never leak to another site through the Referer.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    production = app.config["SETTINGS"].is_production
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
    )
    if production:
        # __Host-: the browser accepts it only over HTTPS, for this host, for the whole path.
        if app.config.get("SESSION_COOKIE_NAME") == "session":
            app.config["SESSION_COOKIE_NAME"] = "__Host-dorren"
        app.config["SESSION_COOKIE_PATH"] = "/"
        app.config["SESSION_COOKIE_DOMAIN"] = None

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if production:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if response.mimetype == "text/html":
            # Pages can hold personal data: no shared caches, no back-button copies after logout.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
