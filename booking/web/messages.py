"""Service error messages in the user's language.

Services write English messages that say what to fix. The ones a web user can meet are
matched here and shown translated; anything unknown is shown as the service wrote it, after
a translated lead-in, so nothing is hidden.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _

from booking.services.errors import ServiceError

Translator = Callable[[re.Match[str]], str]

PATTERNS: list[tuple[re.Pattern[str], Translator]] = [
    (
        re.compile(r"^A reason is required to cancel"),
        lambda m: _("Give a reason for the cancellation."),
    ),
    (
        re.compile(r"^The session holds booked meetings"),
        lambda m: _(
            "The afternoon has booked meetings. Reschedule or cancel them first, "
            "then cancel the afternoon."
        ),
    ),
    (
        re.compile(r"^There is already a session on (\S+)\."),
        lambda m: _("There is already a forum afternoon on %(date)s.", date=m.group(1)),
    ),
    (
        re.compile(r"^An extra session cannot be in the past"),
        lambda m: _("An extra afternoon cannot be in the past. Choose a later date."),
    ),
    (
        re.compile(r"^The short name may hold"),
        lambda m: _("The short name may hold lower-case letters a-z, digits and hyphens only."),
    ),
    (
        re.compile(r"^Another department already uses the short name (\S+)\."),
        lambda m: _("Another department already uses the short name %(slug)s.", slug=m.group(1)),
    ),
    (
        re.compile(r"^A user with e-mail (\S+) already exists"),
        lambda m: _("A user with the e-mail address %(email)s already exists.", email=m.group(1)),
    ),
    (
        re.compile(r"^A new user needs a password"),
        lambda m: _("A new user needs a password of at least 10 characters."),
    ),
    (
        re.compile(r"^The password must be at least 10"),
        lambda m: _("The password must be at least 10 characters."),
    ),
    (
        re.compile(r"^You cannot change your own role"),
        lambda m: _("You cannot change your own role or deactivate yourself."),
    ),
    (
        re.compile(r"^The last day of an absence cannot be before"),
        lambda m: _("The last day of the absence cannot be before the first."),
    ),
    (
        re.compile(r"is not an e-mail address"),
        lambda m: _("Enter a valid e-mail address."),
    ),
    (
        re.compile(r"^No (\w+) with id"),
        lambda m: _("It no longer exists. Reload the page."),
    ),
]


def service_message(exc: ServiceError) -> str:
    for pattern, translate in PATTERNS:
        match = pattern.search(exc.message)
        if match:
            return translate(match)
    return str(_("The change was not made: %(reason)s", reason=exc.message))
