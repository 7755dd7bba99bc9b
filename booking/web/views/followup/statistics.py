"""Term statistics for management, on a page and as CSV."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    render_template,
    request,
)

from booking.domain.terms import Term, TermError, parse_term, term_of
from booking.services.followup import statistics, statistics_csv
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.views.followup.charts import statistics_charts
from booking.web.views.followup.common import local_today
from booking.web_support import get_db, settings


def _term_arg() -> Term:
    raw = request.args.get("term", "")
    if not raw:
        return term_of(local_today())
    try:
        return parse_term(raw)
    except TermError as exc:
        abort(400, str(exc))


@web_bp.get("/statistics")
@requires("view_cases")
def followup_statistics() -> str:
    term = _term_arg()
    stats = statistics.compute(get_db(), term, timezone=settings().forum_timezone)
    current = term_of(local_today())
    choices = [current]
    for _step in range(5):
        choices.append(choices[-1].previous())
    if term not in choices:
        choices.insert(0, term)
    return render_template(
        "followup/statistics.html",
        stats=stats,
        term=term,
        choices=choices,
        charts=statistics_charts(stats, term),
    )


@web_bp.get("/statistics.csv")
@requires("view_cases")
def followup_statistics_csv() -> Response:
    term = _term_arg()
    stats = statistics.compute(get_db(), term, timezone=settings().forum_timezone)
    # Default: the Swedish Excel form (semicolon, decimal comma); ?format=csv-en: comma, point,
    # English keys for scripts. Both UTF-8 with BOM, which makes Excel read å, ä and ö.
    if request.args.get("format") == "csv-en":
        text, filename = statistics_csv.to_csv(stats), f"statistics-{term.key}.csv"
    else:
        text, filename = statistics_csv.to_csv_sv(stats), f"statistik-{term.key}.csv"
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
