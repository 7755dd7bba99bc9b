"""Error pages in the user's language (404, 403, 400, 405, 409, 413, 422, 429).

The JSON API keeps its own envelope: for an unknown URL under /api/ the handler the API
installed answers. Errors raised inside another blueprint are handled there first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from booking.services.errors import ServiceError
from booking.web.messages import service_message

TITLES: dict[int, Any] = {
    400: _l("The request could not be understood"),
    403: _l("You do not have access to this page"),
    404: _l("The page could not be found"),
    405: _l("That is not possible on this page"),
    409: _l("That clashes with something else"),
    413: _l("What you sent is too large"),
    422: _l("Please check what you entered"),
    429: _l("Too many attempts"),
}
HINTS: dict[int, Any] = {
    400: _l("Go back, reload the page and try again."),
    403: _l("Your role does not allow this. Ask an administrator if you need access."),
    404: _l("Check the address, or start again from the overview."),
    405: _l("Go back and use the buttons on the page."),
    409: _l("Reload the page to see the current state and try again."),
    413: _l("Send less at a time."),
    422: _l("Go back and correct the form."),
    429: _l("Wait a few minutes and try again."),
}
NON_HTML_PREFIXES = ("/api/", "/feeds/")


def render_error(status: int, message: str | None = None) -> tuple[str, int]:
    status = status if status in TITLES else 400
    return (
        render_template(
            "web/errors/error.html",
            status=status,
            title=TITLES[status],
            hint=HINTS[status],
            message=message,
        ),
        status,
    )


def init_app(app: Flask) -> None:
    spec = app.error_handler_spec.get(None, {}).get(None, {})
    previous: Callable[[HTTPException], Any] | None = spec.get(HTTPException)

    def _http_error(exc: HTTPException) -> Any:
        if request.path.startswith(NON_HTML_PREFIXES):
            return previous(exc) if previous is not None else exc
        if exc.code is None or exc.code >= 500 or exc.code < 400:
            return exc
        return render_error(exc.code)

    def _csrf_error(exc: CSRFError) -> Any:
        message = _l("The form had expired. Reload the page and send it again.")
        return render_error(400, str(message))

    def _service_error(exc: ServiceError) -> Any:
        # Views catch the errors they expect; this is the safety net, never a 500.
        return render_error(exc.status, service_message(exc))

    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(ServiceError, _service_error)
