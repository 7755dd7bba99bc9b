"""Shared by the administration pages: the acting user, 404 for a missing thing, form pages."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request

from booking.services.audit import Actor
from booking.services.errors import NotFound, ServiceError
from booking.web.auth import current_user


def actor() -> Actor:
    user = current_user()
    assert user is not None  # every view here requires a login
    return Actor.of(user)


def get_or_404(loader: Any, *args: Any) -> Any:
    try:
        return loader(*args)
    except NotFound:
        abort(404)


def form_page(template: str, form: Any, **context: Any) -> tuple[str, int]:
    """A form page: 200 on first show, 422 when what was sent must be corrected."""
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


def show_problems(form: Any, exc: ServiceError) -> None:
    """A refusal from a service on the form: each named field gets its message (the details
    map field → reason), anything else goes to the summary at the top."""
    from booking.web.messages import BY_REASON, service_message

    placed = False
    for name, reason in (exc.details or {}).items():
        field = getattr(form, name, None)
        words = BY_REASON.get(str(reason))
        if field is not None and hasattr(field, "errors") and words is not None:
            field.errors = [*field.errors, words(exc.details)]
            placed = True
    if not placed:
        form.form_errors.append(service_message(exc))
