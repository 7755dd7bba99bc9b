"""The forum filter of a list page (``?forum=<slug>`` or ``all``; the select is the template
macro ``forum_select``, web/_forum_select.html)."""

from __future__ import annotations

from flask import abort, request

from booking.models import Forum


def chosen_forums(forums: list[Forum]) -> tuple[str, list[Forum]]:
    """The value chosen ("all" or a slug) and the forums it selects; an unknown slug is 404."""
    chosen = request.args.get("forum", "all") or "all"
    selected = forums if chosen == "all" else [f for f in forums if f.slug == chosen]
    if not selected and chosen != "all":
        abort(404)
    return chosen, selected
