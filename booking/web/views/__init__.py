"""Views by area; importing the modules registers their routes on web_bp."""

from __future__ import annotations


def register() -> None:
    from booking.web.views import (  # noqa: F401
        account,
        admin,
        agenda,
        cases,
        door,
        followup,
        intake,
        me,
        overview,
        setup,
        sso,
        statement,
        todo,
    )
