"""Handing out feed links (issue 15): coordinators and administrators give departments,
representatives and forums their calendar subscription link (webcal and https, and a QR code),
rotate it or revoke it; every step audited (booking.services.feeds.handout)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from booking.services.errors import NotFound, ServiceError
from booking.services.feeds import handout
from booking.services.feeds.tokens import feed_path
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.messages import service_message
from booking.web.qr import qr_svg
from booking.web.views.admin.common import actor
from booking.web_support import get_db, now, settings


@web_bp.get("/admin/feeds")
@requires("hand_out_feeds")
def admin_feeds() -> Any:
    return render_template("web/admin/feeds.html", subjects=handout.subjects(get_db()))


def _subject(kind: str, subject_id: int) -> handout.FeedSubject:
    try:
        return handout.subject(get_db(), kind, subject_id)
    except NotFound:
        abort(404)


def _link_page(subject: handout.FeedSubject, token: str, rotated: bool) -> Any:
    https = settings().public_base_url + feed_path(subject.kind, token)
    webcal = "webcal://" + https.split("://", 1)[1]
    return render_template(
        "web/admin/feed_link.html",
        subject=subject,
        https=https,
        webcal=webcal,
        qr=qr_svg(webcal, _("QR code of the calendar link for %(name)s", name=subject.name)),
        rotated=rotated,
    )


@web_bp.post("/admin/feeds/<kind>/<int:subject_id>")
@requires("hand_out_feeds")
def admin_feed_link(kind: str, subject_id: int) -> Any:
    """Show (handing out when needed) or rotate the link. POST: it may issue a token, and
    the link never sits in an address bar or a browser history."""
    subject = _subject(kind, subject_id)
    rotate = request.form.get("action") == "rotate"
    db = get_db()
    try:
        if rotate:
            token = handout.rotate(db, kind, subject_id, settings().secret_key, actor(), now())
        else:
            token = handout.hand_out(db, kind, subject_id, settings().secret_key, actor(), now())
    except NotFound:
        abort(404)
    except ServiceError as exc:
        db.rollback()
        flash(service_message(exc), "error")
        return redirect(url_for("web.admin_feeds"))
    return _link_page(subject, token, rotate)


@web_bp.post("/admin/feeds/<kind>/<int:subject_id>/revoke")
@requires("hand_out_feeds")
def admin_feed_revoke(kind: str, subject_id: int) -> Any:
    subject = _subject(kind, subject_id)
    try:
        handout.revoke(get_db(), kind, subject_id, actor(), now())
    except ServiceError as exc:
        get_db().rollback()
        flash(service_message(exc), "error")
    else:
        flash(_("The link of %(name)s is revoked: calendars stop updating.", name=subject.name))
    return redirect(url_for("web.admin_feeds"))
