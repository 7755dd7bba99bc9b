"""NKI (nöjd kund-index) the way SKR's Insikt computes it, for our own post-meeting survey.

Per respondent: NKI_r = mean over the three NKI questions of (x − 1)/(k − 1)·100, where k is
the top of the answer scale. A respondent who left a question unanswered ("vet ej") is left out
(complete cases only, research notes §1.6). The reported NKI is the mean over respondents,
computed exactly (fractions.Fraction from the integer answers, never stored rounded decimals:
summing 73.333… forty times lost the .5 of 79.5) and rounded half up explicitly
(68.5 → 69, 79.5 → 80; Python's round() would give 68 and 80 by banker's rounding). A result built
on fewer than seven answers is suppressed, as Insikt does; below ten it is flagged as uncertain.
Service-factor indices (information, tillgänglighet, ...) use the same computation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import floor

MIN_ANSWERS_SHOWN = 7
MIN_ANSWERS_COMPARABLE = 10
NKI_QUESTIONS = ("q_overall", "q_expectations", "q_ideal")
SERVICE_FACTORS = (
    "information",
    "tillganglighet",
    "bemotande",
    "kompetens",
    "rattssakerhet",
    "effektivitet",
)

# Half-open bands on the rounded integer (the published tables overlap at 70 and 50).
BANDS: tuple[tuple[int, str], ...] = (
    (80, "mycket högt"),
    (70, "högt"),
    (62, "godkänt"),
    (50, "lågt"),
    (0, "mycket lågt"),
)


def item_index(answer: int, scale: int) -> Fraction:
    """One answer on 1..scale as 0–100."""
    if scale < 2:
        raise ValueError(f"the scale must have at least two steps, got {scale}")
    if not 1 <= answer <= scale:
        raise ValueError(f"answer {answer} is outside the scale 1–{scale}")
    return Fraction((answer - 1) * 100, scale - 1)


def respondent_index(answers: Sequence[int | None], scale: int) -> Fraction | None:
    """Mean of the item indices (exact), or None when any answer is missing (complete cases)."""
    if not answers or any(a is None for a in answers):
        return None
    values = [item_index(a, scale) for a in answers if a is not None]
    return sum(values, Fraction(0)) / len(values)


def round_half_up(value: Fraction | Decimal | int) -> int:
    """Round to the nearest integer, an exact .5 upwards (scores are never negative)."""
    return floor(Fraction(value) + Fraction(1, 2))


def band(score: int) -> str:
    """Grade band of a rounded NKI: ≥80 mycket högt, 70–79 högt, 62–69 godkänt, 50–61 lågt."""
    for lower, label in BANDS:
        if score >= lower:
            return label
    return BANDS[-1][1]


@dataclass(frozen=True)
class IndexResult:
    """An index over n respondents; `score` and `grade` are None when it must not be shown."""

    n: int
    mean: Fraction | None  # exact and unrounded, for tests and the CSV
    score: int | None
    grade: str | None
    suppressed: bool
    uncertain: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "score": self.score,
            "grade": self.grade,
            "suppressed": self.suppressed,
            "uncertain": self.uncertain,
        }


def aggregate(respondent_indices: Iterable[Fraction | Decimal | int | None]) -> IndexResult:
    """Exact mean over respondents with a valid index, rounded half up; suppressed below 7."""
    valid = [Fraction(v) for v in respondent_indices if v is not None]
    n = len(valid)
    if n == 0:
        return IndexResult(0, None, None, None, True, True)
    mean = sum(valid, Fraction(0)) / n
    if n < MIN_ANSWERS_SHOWN:
        return IndexResult(n, mean, None, None, True, True)
    score = round_half_up(mean)
    return IndexResult(n, mean, score, band(score), False, n < MIN_ANSWERS_COMPARABLE)


def nki(responses: Iterable[Sequence[int | None]], scale: int) -> IndexResult:
    """NKI over responses, each the three NKI answers (None for "vet ej")."""
    return aggregate(respondent_index(r, scale) for r in responses)


def factor_index(answers: Iterable[int | None], scale: int) -> IndexResult:
    """A service factor's index: one answer per respondent, same rules as NKI."""
    return aggregate(respondent_index([a], scale) if a is not None else None for a in answers)
