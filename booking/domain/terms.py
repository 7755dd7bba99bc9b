"""Terms (halvår) for statistics: spring = January–June, autumn = July–December."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_TERM_RE = re.compile(r"^(\d{4})-(spring|autumn)$")
_SWEDISH = {"spring": "vår", "autumn": "höst"}


class TermError(ValueError):
    """A term string that is not YEAR-spring or YEAR-autumn."""


@dataclass(frozen=True, order=True)
class Term:
    year: int
    half: str  # "spring" | "autumn"

    def __post_init__(self) -> None:
        if self.half not in _SWEDISH:
            raise TermError(f"half must be 'spring' or 'autumn', got {self.half!r}")

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.half == "spring" else 7, 1)

    @property
    def end(self) -> date:
        """First day after the term (exclusive end)."""
        return date(self.year, 7, 1) if self.half == "spring" else date(self.year + 1, 1, 1)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    @property
    def key(self) -> str:
        return f"{self.year}-{self.half}"

    @property
    def label_sv(self) -> str:
        return f"{_SWEDISH[self.half]}en {self.year}".capitalize()

    def previous(self) -> Term:
        return Term(self.year, "spring") if self.half == "autumn" else Term(self.year - 1, "autumn")

    def next(self) -> Term:
        return Term(self.year + 1, "spring") if self.half == "autumn" else Term(self.year, "autumn")

    def __str__(self) -> str:
        return self.key


def parse_term(raw: str) -> Term:
    """Parse "2027-spring" / "2027-autumn" (also "2027-vår"/"2027-höst"); clear error otherwise."""
    text = (raw or "").strip().lower().replace("vår", "spring").replace("höst", "autumn")
    match = _TERM_RE.match(text)
    if not match:
        raise TermError(
            f"term must look like 2027-spring or 2027-autumn (spring = January–June, "
            f"autumn = July–December), got {raw!r}"
        )
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        raise TermError(f"term year must be between 2000 and 2100, got {year}")
    return Term(year, match.group(2))


def term_of(day: date) -> Term:
    return Term(day.year, "spring" if day.month <= 6 else "autumn")
