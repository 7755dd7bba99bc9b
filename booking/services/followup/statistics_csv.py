"""The term statistics as CSV: Swedish for Excel (semicolon, decimal comma, BOM) and English.

Every figure of ``booking.services.followup.statistics.compute`` becomes one row
(section, key, metric, value); a figure suppressed for too few answers stays empty.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from booking.domain.vocabulary import CATEGORY_LABELS


def figure_rows(stats: dict[str, Any]) -> list[tuple[str, str, str, object]]:
    """Every figure as (section, key, metric, value); suppressed NKI values are None."""
    rows: list[tuple[str, str, str, object]] = []

    def row(section: str, key: str, metric: str, value: object) -> None:
        rows.append((section, key, metric, value))

    for category, count in stats["cases"]["by_category"].items():
        row("cases", category, "count", count)
    row("cases", "total", "count", stats["cases"]["total"])
    row("cases", "cancelled", "count", stats["cases"]["cancelled"])
    # Forum internt: apart from the business's cases (not in the total above).
    row("cases", "internal", "count", stats["cases"]["internal"])
    row("lead_time", "all", "n", stats["lead_time_days"]["n"])
    row("lead_time", "all", "median_days", stats["lead_time_days"]["median"])
    for source, figures in stats["lead_time_days"]["by_source"].items():
        row("lead_time", source, "n", figures["n"])
        row("lead_time", source, "median_days", figures["median"])
    for metric, value in stats["meetings"].items():
        row("meetings", "all", metric, value)
    for metric, value in stats["attendance"].items():
        row("attendance", "all", metric, value)
    for dep in stats["departments"]:
        for metric in (
            "invited",
            "replied",
            "reply_rate",
            "median_reply_hours",
            "attendance_expected",
            "attended",
            "attendance_rate",
        ):
            row("department", dep["slug"], metric, dep[metric])
    nki = stats["nki"]
    for metric in ("n", "score", "grade"):
        row("nki", "overall", metric, nki["overall"][metric])
    row("nki", "overall", "surveys_sent", nki["surveys_sent"])
    row("nki", "overall", "response_rate", nki["response_rate"])
    for category, result in nki["by_category"].items():
        row("nki_category", category, "n", result["n"])
        row("nki_category", category, "score", result["score"])
    for dep in nki["by_department"]:
        row("nki_department", dep["slug"], "n", dep["n"])
        row("nki_department", dep["slug"], "score", dep["score"])
    for factor, result in nki["factors"].items():
        row("nki_factor", factor, "n", result["n"])
        row("nki_factor", factor, "score", result["score"])
    return rows


def to_csv(stats: dict[str, Any]) -> str:
    """Machine-readable: comma, decimal point, English keys; one figure per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["term", "section", "key", "metric", "value"])
    for section, key, metric, value in figure_rows(stats):
        writer.writerow([stats["term"], section, key, metric, "" if value is None else value])
    return out.getvalue()


SECTIONS_SV = {
    "cases": "Ärenden",
    "lead_time": "Ledtid",
    "meetings": "Möten",
    "attendance": "Närvaro",
    "department": "Förvaltning",
    "nki": "NKI",
    "nki_category": "NKI per kategori",
    "nki_department": "NKI per förvaltning",
    "nki_factor": "NKI per serviceområde",
}
METRICS_SV = {
    "count": "antal",
    "n": "antal svar",
    "median_days": "median (dagar)",
    "total": "totalt",
    "held": "genomförda",
    "cancelled": "inställda",
    "cancellation_rate": "andel inställda (%)",
    "expected": "förväntade",
    "attended": "närvarande",
    "rate": "andel (%)",
    "invited": "inbjudna",
    "replied": "svarat",
    "reply_rate": "svarsandel (%)",
    "median_reply_hours": "median svarstid (timmar)",
    "attendance_expected": "förväntad närvaro",
    "attendance_rate": "närvaro (%)",
    "score": "index",
    "grade": "betyg",
    "surveys_sent": "skickade enkäter",
    "response_rate": "svarsfrekvens (%)",
}
KEYS_SV = {
    "total": "totalt",
    "cancelled": "inställda",
    "all": "alla",
    "overall": "totalt",
    **{c.value: sv for c, (sv, _en) in CATEGORY_LABELS.items()},
}


def _sv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    return str(value)


def to_csv_sv(stats: dict[str, Any]) -> str:
    """For Swedish Excel: semicolon, decimal comma, Swedish headers and labels (the caller adds
    the UTF-8 BOM that makes Excel read å, ä and ö)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Termin", "Avsnitt", "Nyckel", "Mått", "Värde"])
    for section, key, metric, value in figure_rows(stats):
        writer.writerow(
            [
                stats["label"],
                SECTIONS_SV.get(section, section),
                KEYS_SV.get(key, key),
                METRICS_SV.get(metric, metric),
                _sv_value(value),
            ]
        )
    return out.getvalue()
