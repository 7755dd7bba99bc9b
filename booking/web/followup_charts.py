"""The statistics page's charts and their data tables, built from statistics.compute()."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from booking.web.svgchart import bar_chart, data_table

CATEGORY_LABELS = {
    "new_establishment": "Nyetablering",
    "major_change": "Förändring av befintlig verksamhet",
    "event": "Arrangemang",
}
FACTOR_LABELS = {
    "information": "Information",
    "tillganglighet": "Tillgänglighet",
    "bemotande": "Bemötande",
    "kompetens": "Kompetens",
    "rattssakerhet": "Rättssäkerhet",
    "effektivitet": "Effektivitet",
}


@dataclass(frozen=True)
class Chart:
    heading: str
    svg: Markup
    table: Markup


def _nki_cell(result: dict[str, Any]) -> str:
    if result["score"] is None:
        return f"visas ej (n = {result['n']} < 7)"
    return f"{result['score']} ({result['grade']})"


def statistics_charts(stats: dict[str, Any]) -> list[Chart]:
    label = stats["label"]
    cats = stats["cases"]["by_category"]
    deps = stats["departments"]
    nki = stats["nki"]
    charts = [
        Chart(
            "Ärenden per kategori / Cases by category",
            bar_chart(
                f"Ärenden per kategori, {label}",
                "Antal ärenden som kom in under perioden, per kategori.",
                [(CATEGORY_LABELS[k], float(v)) for k, v in cats.items()],
            ),
            data_table(
                "Ärenden per kategori",
                ["Kategori", "Antal"],
                [[CATEGORY_LABELS[k], v] for k, v in cats.items()],
            ),
        ),
        Chart(
            "Svarsfrekvens per förvaltning / Reply rate per department",
            bar_chart(
                f"Svarsfrekvens per förvaltning, {label}",
                "Andel inbjudna representanter som svarade på inbjudan, i procent.",
                [(d["name"], d["reply_rate"]) for d in deps],
                unit=" %",
                max_value=100,
            ),
            data_table(
                "Svar per förvaltning",
                ["Förvaltning", "Inbjudna", "Svarade", "Andel %", "Median svarstid (h)"],
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
            "Närvaro per förvaltning / Attendance per department",
            bar_chart(
                f"Närvaro per förvaltning, {label}",
                "Andel genomförda möten där förvaltningen var närvarande, i procent.",
                [(d["name"], d["attendance_rate"]) for d in deps],
                unit=" %",
                max_value=100,
            ),
            data_table(
                "Närvaro per förvaltning",
                ["Förvaltning", "Möten", "Närvarande", "Andel %"],
                [
                    [d["name"], d["attendance_expected"], d["attended"], d["attendance_rate"]]
                    for d in deps
                ],
            ),
        ),
        Chart(
            "NKI per förvaltning / NKI per department",
            bar_chart(
                f"NKI per förvaltning, {label}",
                "Nöjd kund-index 0–100 per förvaltning; färre än 7 svar visas inte.",
                [(d["name"], d["score"]) for d in nki["by_department"]],
                max_value=100,
            ),
            data_table(
                "NKI per förvaltning",
                ["Förvaltning", "Svar", "NKI"],
                [[d["name"], d["n"], _nki_cell(d)] for d in nki["by_department"]],
            ),
        ),
        Chart(
            "Serviceområden / Service factors",
            bar_chart(
                f"Index per serviceområde, {label}",
                "Index 0–100 per serviceområde; färre än 7 svar visas inte.",
                [(FACTOR_LABELS[k], v["score"]) for k, v in nki["factors"].items()],
                max_value=100,
            ),
            data_table(
                "Index per serviceområde",
                ["Serviceområde", "Svar", "Index"],
                [[FACTOR_LABELS[k], v["n"], _nki_cell(v)] for k, v in nki["factors"].items()],
            ),
        ),
    ]
    return charts
