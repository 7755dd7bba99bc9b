"""The term's figures as the evaluation meeting's invitation text (DESCRIPTION).

The forum's termly evaluation meeting (booking.services.scheduling.evaluation) carries the
figures of ``booking.services.followup.statistics.compute`` for its term: cases per category,
the internal ones apart, lead time, the departments' reply rate and NKI. Swedish first with the
English in brackets, as every invitation; decimals with a comma, as the statistics page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from booking.domain.vocabulary import BUSINESS_CATEGORIES, CATEGORY_LABELS, CaseCategory

NKI_GRADES = {
    "mycket högt": "very high",
    "högt": "high",
    "godkänt": "satisfactory",
    "lågt": "low",
    "mycket lågt": "very low",
}


def _number(value: float | int | None) -> str:
    """22.5 → "22,5"; None → "–" (nothing to divide by)."""
    if value is None:
        return "–"
    return str(value).replace(".", ",")


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{_number(value)} %"


def _last_day(stats: Mapping[str, Any]) -> str:
    """The term's last day (the statistics give the day after it)."""
    return (date.fromisoformat(stats["to_exclusive"]) - timedelta(days=1)).isoformat()


def _reply_rate(departments: list[Mapping[str, Any]]) -> tuple[int, int, float | None]:
    """Every department's answers over every invitation: (replied, invited, per cent)."""
    invited = sum(int(d["invited"]) for d in departments)
    replied = sum(int(d["replied"]) for d in departments)
    rate = round(replied * 100 / invited, 1) if invited else None
    return replied, invited, rate


def _nki_line(nki: Mapping[str, Any]) -> str:
    overall = nki["overall"]
    if overall["score"] is None:
        return (
            f"NKI: visas inte, {overall['n']} svar (minst {nki['min_answers_shown']} behövs) "
            f"(not shown, {overall['n']} answers; {nki['min_answers_shown']} needed)"
        )
    grade = str(overall["grade"])
    uncertain = " – osäkert, färre än 10 svar (uncertain)" if overall["uncertain"] else ""
    return (
        f"NKI: {overall['score']} {grade} ({NKI_GRADES.get(grade, grade)}), "
        f"{overall['n']} svar (answers){uncertain}"
    )


def statistics_text(stats: Mapping[str, Any], forum_name: str) -> str:
    """The term's figures as lines of text for the evaluation meeting's invitation."""
    cases = stats["cases"]
    lead = stats["lead_time_days"]
    nki = stats["nki"]
    replied, invited, rate = _reply_rate(stats["departments"])
    lines = [
        f"Terminens siffror / The term's figures: {forum_name}, {stats['label']} "
        f"({stats['from']} – {_last_day(stats)})",
        f"Ärenden / Cases: {cases['total']} (varav inställda / cancelled: {cases['cancelled']})",
    ]
    for category in BUSINESS_CATEGORIES:
        sv, en = CATEGORY_LABELS[category]
        lines.append(f"- {sv} ({en}): {cases['by_category'].get(category.value, 0)}")
    sv, en = CATEGORY_LABELS[CaseCategory.INTERNAL]
    lines.append(f"{sv} ({en}): {cases['internal']}")
    lines.append(
        f"Ledtid kontakt–möte, median / Lead time contact–meeting, median: "
        f"{_number(lead['median'])} dagar (days), n = {lead['n']}"
    )
    lines.append(
        f"Svarsfrekvens, förvaltningarna / Reply rate, departments: {_percent(rate)} "
        f"({replied} av / of {invited})"
    )
    lines.append(_nki_line(nki))
    lines.append(
        f"Enkätsvar / Survey response rate: {_percent(nki['response_rate'])} "
        f"({nki['respondents']} av / of {nki['surveys_sent']})"
    )
    return "\n".join(lines)
