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
        re.compile(r"^Not part of (.+?): (.+)\.$"),
        lambda m: _(
            "%(names)s does not take part in %(forum)s. Choose departments of that forum.",
            names=m.group(2),
            forum=m.group(1),
        ),
    ),
    (
        re.compile(r"^Not active: (.+)\.$"),
        lambda m: _("Not active: %(names)s. Choose active ones.", names=m.group(1)),
    ),
    (
        re.compile(r"it can no longer be edited"),
        lambda m: _("A closed or cancelled case can no longer be edited."),
    ),
    (
        re.compile(r"^The case is booked; cancel the meeting before changing the departments"),
        lambda m: _(
            "The case is booked. Cancel the meeting before you change the departments, "
            "then book again."
        ),
    ),
    (
        re.compile(r"^A reason is required to cancel a meeting"),
        lambda m: _("Give a reason for the cancellation."),
    ),
    (
        re.compile(r"^A case cannot go from (\w+) to (\w+)"),
        lambda m: _("The case cannot change to that status now."),
    ),
    (
        re.compile(r"^The case has no meeting to mark"),
        lambda m: _("The case has no meeting yet. Book one first."),
    ),
    (
        re.compile(r"^The case has no required departments"),
        lambda m: _("The case has no departments. Edit the case and choose at least one."),
    ),
    (
        re.compile(r"^Say who answered and when"),
        lambda m: _("Say who answered and when."),
    ),
    (
        re.compile(r"not found\.$"),
        lambda m: _("It no longer exists. Reload the page."),
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


REASONS = {
    "no_active_representative": lambda name: _("%(name)s has no active representative.", name=name),
    "all_absent": lambda name: _("Every representative of %(name)s is away.", name=name),
    "all_busy": lambda name: _(
        "Every representative of %(name)s is already in another meeting then.", name=name
    ),
    "calendar_busy": lambda name: _(
        "Every free representative of %(name)s is busy in their own calendar.", name=name
    ),
    "capacity_full": lambda name: _(
        "%(name)s has no room left that afternoon (a reason lets you book anyway).", name=name
    ),
    "chosen_unavailable": lambda name: _(
        "The chosen representative of %(name)s cannot attend.", name=name
    ),
}


def blocker_text(department: str, reason: str) -> str:
    translate = REASONS.get(reason)
    return str(translate(department)) if translate else f"{department}: {reason}"


def booking_problem(exc: ServiceError) -> str:
    """A refused booking or move, in the user's language, naming the next free time if any."""
    from booking.i18n import long_date, time_range

    parts: list[str] = []
    problems = exc.details.get("problems")
    if isinstance(problems, dict) and problems:
        parts.append(_("That time does not work:"))
        parts += [blocker_text(str(name), str(reason)) for name, reason in problems.items()]
    elif "less than" in exc.message and "working days ahead" in exc.message:
        parts.append(_("That time is sooner than the minimum notice allows."))
    elif "already booked" in exc.message or "taken a moment ago" in exc.message:
        parts.append(_("Someone else booked that time a moment ago."))
    elif "already in that slot" in exc.message:
        parts.append(_("The meeting is already at that time."))
    elif exc.message.startswith("No slot fits every department"):
        parts.append(_("No time in the planned afternoons suits every department."))
        for blocker in exc.details.get("blockers") or []:
            parts.append(blocker_text(str(blocker.get("department")), str(blocker.get("reason"))))
    else:
        parts.append(service_message(exc))
    nxt = exc.details.get("next_free_slot")
    if isinstance(nxt, dict) and nxt.get("starts_at"):
        from datetime import datetime

        start = datetime.fromisoformat(nxt["starts_at"])
        end = datetime.fromisoformat(nxt["ends_at"])
        when = long_date(start) + " " + time_range(start, end)
        parts.append(_("The next free time is %(when)s.", when=when))
    return " ".join(str(p) for p in parts)
