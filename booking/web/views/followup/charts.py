"""The statistics page's charts and their data tables, built from statistics.compute().

Headings, captions and labels are in the user's language; the figures come as the service
computed them (the NKI grade and the term are translated here, the CSV and the API keep theirs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from booking.domain.terms import Term
from booking.web.labels import category_label
from booking.web.svgchart import bar_chart, data_table

FACTOR_LABELS = {
    "information": _l("Information"),
    "tillganglighet": _l("Accessibility"),
    "bemotande": _l("Treatment"),
    "kompetens": _l("Competence"),
    "rattssakerhet": _l("Legal certainty"),
    "effektivitet": _l("Efficiency"),
}
# booking.domain.nki names the grade bands in Swedish (they are the method's own terms).
GRADE_LABELS = {
    "mycket högt": _l("very high"),
    "högt": _l("high"),
    "godkänt": _l("acceptable"),
    "lågt": _l("low"),
    "mycket lågt": _l("very low"),
}


def term_label(term: Term) -> str:
    """ "Våren 2027" / "Spring 2027"."""
    if term.half == "spring":
        return str(_("Spring %(year)s", year=term.year))
    return str(_("Autumn %(year)s", year=term.year))


def nki_grade(grade: str | None) -> str:
    if grade is None:
        return ""
    label = GRADE_LABELS.get(grade)
    return str(label) if label is not None else grade


def factor_label(key: str) -> str:
    label = FACTOR_LABELS.get(key)
    return str(label) if label is not None else key


@dataclass(frozen=True)
class Chart:
    heading: str
    svg: Markup
    table: Markup


def _nki_cell(result: dict[str, Any]) -> str:
    if result["score"] is None:
        return str(_("not shown (n = %(n)s < 7)", n=result["n"]))
    return f"{result['score']} ({nki_grade(result['grade'])})"


def statistics_charts(stats: dict[str, Any], term: Term) -> list[Chart]:
    label = term_label(term)
    cats = stats["cases"]["by_category"]
    deps = stats["departments"]
    nki = stats["nki"]
    charts = [
        Chart(
            _("Cases by category"),
            bar_chart(
                _("Cases by category, %(term)s", term=label),
                _("Number of cases received in the period, per category."),
                [(category_label(k), float(v)) for k, v in cats.items()],
            ),
            data_table(
                _("Cases by category"),
                [_("Category"), _("Number")],
                [[category_label(k), v] for k, v in cats.items()],
            ),
        ),
        Chart(
            _("Reply rate per department"),
            bar_chart(
                _("Reply rate per department, %(term)s", term=label),
                _("Share of invited representatives who answered the invitation, in per cent."),
                [(d["name"], d["reply_rate"]) for d in deps],
                unit=" %",
                max_value=100,
            ),
            data_table(
                _("Answers per department"),
                [
                    _("Department"),
                    _("Invited"),
                    _("Answered"),
                    _("Share %"),
                    _("Median reply time (h)"),
                ],
                [
                    [
                        d["name"],
                        d["invited"],
                        d["replied"],
                        d["reply_rate"],
                        d["median_reply_hours"],
                    ]
                    for d in deps
                ],
            ),
        ),
        Chart(
            _("Attendance per department"),
            bar_chart(
                _("Attendance per department, %(term)s", term=label),
                _("Share of held meetings where the department was present, in per cent."),
                [(d["name"], d["attendance_rate"]) for d in deps],
                unit=" %",
                max_value=100,
            ),
            data_table(
                _("Attendance per department"),
                [_("Department"), _("Meetings"), _("Present"), _("Share %")],
                [
                    [d["name"], d["attendance_expected"], d["attended"], d["attendance_rate"]]
                    for d in deps
                ],
            ),
        ),
        Chart(
            _("NKI per department"),
            bar_chart(
                _("NKI per department, %(term)s", term=label),
                _(
                    "Customer satisfaction index 0–100 per department; "
                    "fewer than 7 answers are not shown."
                ),
                [(d["name"], d["score"]) for d in nki["by_department"]],
                max_value=100,
            ),
            data_table(
                _("NKI per department"),
                [_("Department"), _("Answers"), "NKI"],
                [[d["name"], d["n"], _nki_cell(d)] for d in nki["by_department"]],
            ),
        ),
        Chart(
            _("Service factors"),
            bar_chart(
                _("Index per service factor, %(term)s", term=label),
                _("Index 0–100 per service factor; fewer than 7 answers are not shown."),
                [(factor_label(k), v["score"]) for k, v in nki["factors"].items()],
                max_value=100,
            ),
            data_table(
                _("Index per service factor"),
                [_("Service factor"), _("Answers"), _("Index")],
                [[factor_label(k), v["n"], _nki_cell(v)] for k, v in nki["factors"].items()],
            ),
        ),
    ]
    return charts
