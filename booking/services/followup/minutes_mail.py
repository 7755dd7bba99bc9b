"""The minutes by e-mail: the approved minutes to the customer's contact and to every attendee,
and the convener's request to approve a draft.

The wording is in templates/minutes.sv.txt and templates/minutes_confidential.sv.txt
(booking.services.mail.render); this module decides who gets which version. A confidential
case's minutes never travel as text: everyone gets a link (the customer to their case page,
attendees to the case page behind the login), and the subject names only the reference. An
attendee sees the organisation's name only where the customer's consent reaches them
(booking.domain.visibility: a municipal-only consent leaves out external parties).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from booking.domain.cases import has_customer
from booking.domain.visibility import Audience, is_municipal, visibility
from booking.domain.vocabulary import MinutesStatus
from booking.models import Minutes
from booking.services import audit
from booking.services.audit import Actor
from booking.services.errors import Conflict, Invalid
from booking.services.followup.common import enqueue_email, sv_datetime, unique_addresses
from booking.services.followup.minutes_access import get_minutes, require_edit
from booking.services.followup.policy import FollowupPolicy
from booking.services.invitations.links import customer_link
from booking.services.mail.render import MailText, render


def minutes_mail(
    minutes: Minutes, timezone: str, *, show_org: bool = True, case_link: str = ""
) -> MailText:
    """The minutes as a mail (plain text). Attendees see the organisation's name only when the
    customer consented to share the case (``show_org``, from booking.domain.visibility); the
    customer always sees it. ``case_link``: the customer's case page, named at the end."""
    meeting = minutes.meeting
    case = meeting.case
    return render(
        "followup/minutes",
        reference=case.reference,
        version=minutes.version,
        when=sv_datetime(meeting.starts_at, timezone),
        location=meeting.location,
        convener=meeting.convener.name if meeting.convener is not None else None,
        correction_reason=minutes.correction_reason,
        present=[r for r in minutes.present if r["present"]],
        customer_present=minutes.customer_present,
        organisation=case.org_name if show_org else None,
        statements=minutes.statements,
        decisions=minutes.decisions,
        action_points=[
            {
                "title": item["title"],
                "owner": item.get("owner_name") or "",
                "due_date": item["due_date"],
            }
            for item in minutes.action_points
        ],
        case_link=case_link,
    )


def confidential_minutes_mail(minutes: Minutes, link: str, *, login: bool = True) -> MailText:
    """The minutes mail of a confidential case: the reference and where to read them."""
    return render(
        "followup/minutes_confidential",
        reference=minutes.meeting.case.reference,
        version=minutes.version,
        link=link,
        login=login,
    )


def send_minutes(db: Session, minutes: Minutes, now: datetime, settings: FollowupPolicy) -> None:
    """Mail the approved minutes to the customer and every attendee (through the outbox)."""
    meeting = minutes.meeting
    case = meeting.case
    # A case without a customer (Forum internt) has no case page to link to.
    link = (
        customer_link(db, case, base_url=settings.public_base_url, secret_key=settings.secret_key)
        if has_customer(case)
        else ""
    )
    if case.confidential:
        customer = confidential_minutes_mail(minutes, link, login=False)
    else:
        customer = minutes_mail(minutes, settings.forum_timezone, case_link=link)
    if has_customer(case) and case.contact_email and case.anonymised_at is None:
        enqueue_email(
            db,
            to=case.contact_email,
            subject=customer.subject,
            text=customer.text,
            now=now,
            meeting_id=meeting.id,
        )
    customer_address = case.contact_email.lower()
    invited = [a for a in meeting.attendees if a.active or a.partstat != "DECLINED"]
    external = {
        a.representative.email.strip().lower()
        for a in invited
        if not is_municipal(a.department.kind)
    }
    case_page = f"{settings.public_base_url.rstrip('/')}/cases/{case.id}"
    mails: dict[bool, MailText] = {}
    for address in unique_addresses(a.representative.email for a in invited):
        if address.lower() == customer_address:
            continue
        municipal = address.lower() not in external
        if municipal not in mails:
            seen = visibility(
                Audience.ATTENDEE,
                confidential=case.confidential,
                consent=case.consent_scope,
                municipal=municipal,
            )
            mails[municipal] = (
                confidential_minutes_mail(minutes, case_page)
                if case.confidential
                else minutes_mail(minutes, settings.forum_timezone, show_org=seen.organisation)
            )
        mail = mails[municipal]
        enqueue_email(
            db, to=address, subject=mail.subject, text=mail.text, now=now, meeting_id=meeting.id
        )


def ask_for_approval(
    db: Session, minutes_id: int, actor: Actor, now: datetime, settings: FollowupPolicy
) -> str:
    """Mail the convener that the draft waits for their approval (through the outbox,
    audited). Returns the convener's name."""
    minutes = get_minutes(db, minutes_id)
    meeting = minutes.meeting
    require_edit(actor, meeting)
    if minutes.status != MinutesStatus.DRAFT:
        raise Conflict(
            f"Version {minutes.version} is already approved.",
            {"version": minutes.version},
            reason="already_approved",
        )
    convener = meeting.convener
    if convener is None:
        raise Invalid(
            "The meeting has no convener; choose one on the case page first.",
            reason="no_convener",
        )
    mail = render(
        "followup/approval_request",
        name=convener.name,
        reference=meeting.case.reference,
        when=sv_datetime(meeting.starts_at, settings.forum_timezone),
        by=actor.user.name if actor.user is not None else actor.label,
        version=minutes.version,
        link=f"{settings.public_base_url.rstrip('/')}/meetings/{meeting.id}/minutes",
    )
    enqueue_email(
        db, to=convener.email, subject=mail.subject, text=mail.text, now=now, meeting_id=meeting.id
    )
    audit.record(
        db,
        actor,
        "minutes",
        minutes.id,
        "approval_requested",
        after={"version": minutes.version, "convener_id": convener.id},
        case_id=meeting.case_id,
        at=now,
    )
    db.commit()
    return convener.name
