"""Service errors in the user's language, by their ``reason`` (booking.services.errors).

Services write English messages that say what to fix, and a stable reason. The reasons a web
user can meet are translated here from the reason and the values in ``details``; anything
else is shown as the service wrote it, after a translated lead-in, so nothing is hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _

from booking.services.errors import ServiceError

Details = Mapping[str, Any]


def _names(details: Details, key: str) -> str:
    value = details.get(key) or []
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _point_problems(details: Details) -> str:
    """A follow-up or action point that cannot be saved: one sentence per kind of problem
    (details are keyed by field, ``action_points[2].owner`` for a point in the minutes)."""
    texts = {
        "title": _("Give every point a title."),
        "owner_department_id": _("Choose one of the case's departments as the owner."),
        "owner": _("Name an owner department or person for every point."),
        "owner_email": _("Enter a valid e-mail address."),
        "owner_name": _(
            "Remove invisible control characters (for example from Word) from the text."
        ),
        "description": _(
            "Remove invisible control characters (for example from Word) from the text."
        ),
        "due_date": _("Choose a date between 2000 and 2100."),
        "statements": _("Statements can only come from the meeting's departments."),
    }
    found = dict.fromkeys(
        str(texts[k]) for k in (key.rsplit(".", 1)[-1] for key in details) if k in texts
    )
    return " ".join(found) or str(_("Check the points and try again."))


BY_REASON: dict[str, Callable[[Details], str]] = {
    # documents of a case (issue 14 §4)
    "document_missing": lambda d: _("Choose a file to upload."),
    "document_type": lambda d: _(
        "The file cannot be accepted: only PDF, PNG and JPEG files can be uploaded (drawings, "
        "menus and site plans as PDF or image). Save the file as a PDF and try again."
    ),
    "document_too_large": lambda d: _(
        "The file is too large: at most %(mb)s MB per file. Split it or save it smaller and "
        "try again.",
        mb=d.get("max_mb", 10),
    ),
    "document_limit": lambda d: _(
        "The case already holds %(count)s documents, the most it can. Gather several pages "
        "in one PDF.",
        count=d.get("max_files", 20),
    ),
    # the door in (issue 14)
    "too_many_requests": lambda d: _(
        "Too many requests from your address. Please try again in an hour; what you typed is kept."
    ),
    "consent_note_required": lambda d: _(
        "Say how the business agreed to be contacted (e.g. by phone, 3 Dec)."
    ),
    "routing_unknown": lambda d: _("Choose a category or a question the form offers."),
    "routing_department": lambda d: _("Choose a department."),
    "request_handled": lambda d: _("Someone has already handled this request."),
    "decline_reason_required": lambda d: _("Give the reason; the business is told it."),
    "message_required": lambda d: _("Write the text first."),
    "message_too_long": lambda d: _("Shorten the text to at most 4,000 characters."),
    "forward_department_required": lambda d: _("Choose the department to hand the request to."),
    "forward_no_email": lambda d: _(
        "That department has no e-mail address; add one under Departments first."
    ),
    # forum setup (issue 15)
    "required": lambda d: _("This is required."),
    "anchor_not_weekday": lambda d: _(
        "The first afternoon must fall on the chosen weekday: pick a date on that day."
    ),
    "end_before_start": lambda d: _("The end must come after the start."),
    "meeting_longer_than_afternoon": lambda d: _(
        "A meeting cannot be longer than the afternoon: shorten it or lengthen the afternoon."
    ),
    "meeting_too_short": lambda d: _("A meeting must be at least 5 minutes."),
    "buffer_negative": lambda d: _("The break between meetings cannot be negative."),
    "every_weeks_range": lambda d: _("Use between 1 and 8 weeks."),
    "unknown_weekday": lambda d: _("Choose a weekday."),
    "pauses_overlap": lambda d: _(
        "The pause overlaps %(reason)s (%(start)s – %(end)s): change the dates or remove that "
        "pause first.",
        reason=d.get("reason", ""),
        start=d.get("start", ""),
        end=d.get("end", ""),
    ),
    "pause_too_long": lambda d: _("A pause can be at most 180 days."),
    "slug_format": lambda d: _(
        "Use 2–64 lower-case letters, digits and hyphens, starting with a letter or digit."
    ),
    "forum_slug_taken": lambda d: _("Another forum already has this address name."),
    "unknown_timezone": lambda d: _("Unknown time zone: use e.g. Europe/Stockholm."),
    "already_set_up": lambda d: _("The service is already set up. Sign in instead."),
    "sso_rule_value_required": lambda d: _("Enter the group or the e-mail domain."),
    "sso_rule_value_invalid": lambda d: _(
        "The value is too long or holds control characters: use at most 320 plain characters."
    ),
    "sso_rule_exists": lambda d: _(
        "There is already a rule for %(value)s. Remove it first to change its role.",
        value=d.get("value", ""),
    ),
    "sso_rule_bad_domain": lambda d: _(
        "%(value)s is not an e-mail domain. Write it as mora.se.", value=d.get("value", "")
    ),
    "cancel_reason_required": lambda d: _("Give a reason for the cancellation."),
    "session_has_meetings": lambda d: _(
        "The afternoon has booked meetings. Reschedule or cancel them first, "
        "then cancel the afternoon."
    ),
    "session_exists": lambda d: _(
        "There is already a forum afternoon on %(date)s.", date=d.get("date", "")
    ),
    "extra_session_in_past": lambda d: _(
        "An extra afternoon cannot be in the past. Choose a later date."
    ),
    "bad_slug": lambda d: _(
        "The short name may hold lower-case letters a-z, digits and hyphens only."
    ),
    "slug_taken": lambda d: _(
        "Another department already uses the short name %(slug)s.", slug=d.get("slug", "")
    ),
    "email_taken": lambda d: _(
        "A user with the e-mail address %(email)s already exists.", email=d.get("email", "")
    ),
    "password_required": lambda d: _("A new user needs a password of at least 10 characters."),
    "password_too_short": lambda d: _("The password must be at least 10 characters."),
    "own_role": lambda d: _("You cannot change your own role or deactivate yourself."),
    "absence_end_before_start": lambda d: _(
        "The last day of the absence cannot be before the first."
    ),
    "bad_email": lambda d: _("Enter a valid e-mail address."),
    "control_character": lambda d: _(
        "Remove invisible control characters (for example from Word) from the text."
    ),
    "date_out_of_range": lambda d: _("Choose a date between 2000 and 2100."),
    "department_not_in_forum": lambda d: _(
        "%(names)s does not take part in %(forum)s. Choose departments of that forum.",
        names=_names(d, "department_ids"),
        forum=d.get("forum", ""),
    ),
    "inactive": lambda d: _("Not active: %(names)s. Choose active ones.", names=_names(d, "names")),
    "case_closed": lambda d: _("A closed or cancelled case can no longer be edited."),
    "case_booked": lambda d: _(
        "The case is booked. Cancel the meeting before you change the departments, then book again."
    ),
    "status_transition": lambda d: _("The case cannot change to that status now."),
    "no_meeting": lambda d: _("The case has no meeting yet. Book one first."),
    "no_free_representative": lambda d: _(
        "No representative of %(names)s is free at the meeting's time. "
        "Choose another time or leave the department out.",
        names=_names(d, "names"),
    ),
    "meeting_not_over": lambda d: _(
        "The meeting has not ended yet. Mark the case as held after the meeting."
    ),
    "no_departments": lambda d: _(
        "The case has no departments. Edit the case and choose at least one."
    ),
    "note_required": lambda d: _("Say who answered and when."),
    "answers_closed": lambda d: _("The meeting no longer takes answers."),
    "no_longer_invited": lambda d: _(
        "%(name)s is no longer invited to this meeting.", name=d.get("name", "")
    ),
    "minutes_not_yours": lambda d: _(
        "Only the minute-taker, the convener or a coordinator may write these minutes."
    ),
    "meeting_cancelled": lambda d: _("The meeting was cancelled. There are no minutes to write."),
    "minutes_approved": lambda d: _(
        "These minutes are approved and cannot be changed. Start a correction to change them."
    ),
    "roles_locked": lambda d: _(
        "The minutes are approved; the convener and minute-taker can no longer change."
    ),
    "correction_reason_required": lambda d: _("Say why the minutes are corrected."),
    "correction_open": lambda d: _(
        "A correction is already being written. Finish or approve it first."
    ),
    "nothing_to_correct": lambda d: _(
        "There are no approved minutes to correct. Edit the draft instead."
    ),
    "no_convener": lambda d: _(
        "The meeting has no convener. Choose the convener before the minutes are approved."
    ),
    "convener_approves": lambda d: _(
        "Only the convener (%(name)s) may approve these minutes.", name=d.get("convener", "")
    ),
    "already_approved": lambda d: _(
        "Version %(version)s is already approved.", version=d.get("version", "")
    ),
    "meeting_not_held": lambda d: _(
        "The meeting has not taken place yet. Approve the minutes afterwards."
    ),
    "point_invalid": lambda d: _point_problems(d),
    "case_not_held": lambda d: _(
        "Only a case whose meeting has been held can be closed. Cancel it instead."
    ),
    "staff_only": lambda d: _("Only a coordinator or an administrator may do this."),
    "not_found": lambda d: _("It no longer exists. Reload the page."),
    "unknown_id": lambda d: _("It no longer exists. Reload the page."),
    # Forum internt and the evaluation meeting (issue 14 §5)
    "org_name_required": lambda d: _("Enter the name of the business or organisation."),
    "title_required": lambda d: _("Give the internal case a short title."),
    "no_customer": lambda d: _(
        "A Forum internal case has no customer: leave the organisation number and the contact "
        "empty."
    ),
    "evaluation_afternoon": lambda d: _(
        "That afternoon is the forum's evaluation meeting. Choose a time on another afternoon."
    ),
    "session_has_bookings": lambda d: _(
        "The afternoon already holds bookings. The evaluation meeting needs an afternoon "
        "without any."
    ),
    "evaluation_exists": lambda d: _(
        "The term already has its evaluation meeting (%(date)s).", date=d.get("date", "")
    ),
    "session_not_scheduled": lambda d: _(
        "The afternoon is not a scheduled forum afternoon. Choose another one."
    ),
    "session_past": lambda d: _("The afternoon has already begun. Choose a coming one."),
    "no_representatives": lambda d: _("The forum has no active representative to invite."),
    "no_session": lambda d: _("The forum has no afternoon on that date."),
}


def service_message(exc: ServiceError) -> str:
    translate = BY_REASON.get(exc.reason)
    if translate is not None:
        return str(translate(exc.details))
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
    elif exc.reason == "too_soon":
        parts.append(_("That time is sooner than the minimum notice allows."))
    elif exc.reason == "slot_taken":
        parts.append(_("Someone else booked that time a moment ago."))
    elif exc.reason == "same_slot":
        parts.append(_("The meeting is already at that time."))
    elif exc.reason == "no_slot":
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


# Arriving prepared (issue 14 §4): what each department will cover.
BY_REASON.update(
    {
        "covers_too_long": lambda d: _(
            "Shorten the text to at most %(max)s characters (%(names)s).",
            max=d.get("max", 500),
            names=_names(d, "names"),
        ),
        "covers_department": lambda d: _(
            "Only the case's required departments can be given what they cover. Reload the page."
        ),
    }
)
