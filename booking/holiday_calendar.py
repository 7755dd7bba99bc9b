"""Swedish non-working days from the ``holidays`` package (country SE).

Public holidays + de-facto holidays (midsommarafton, julafton, nyårsafton) and, for an
afternoon forum, the half days that end at 14:00 (BANK category in ``holidays``).
The package version is pinned (pyproject) because its defaults moved between releases;
everything it is asked for is passed explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import holidays
from holidays.constants import BANK, DE_FACTO, PUBLIC

_HALF_DAY_SUFFIX = " (från kl. 14.00)"


@lru_cache(maxsize=64)
def _year(year: int, include_half_days: bool) -> dict[date, str]:
    result: dict[date, str] = {}
    full = holidays.SE(  # type: ignore[attr-defined]
        years=year, categories=(PUBLIC, DE_FACTO), language="sv", include_sundays=False
    )
    for day, name in full.items():
        result[day] = str(name).lower()
    if include_half_days:
        half = holidays.SE(  # type: ignore[attr-defined]
            years=year, categories=(BANK,), language="sv", include_sundays=False
        )
        for day, name in half.items():
            label = str(name).replace(_HALF_DAY_SUFFIX, "").lower()
            result.setdefault(day, f"{label} (halvdag)" if _HALF_DAY_SUFFIX in str(name) else label)
    return result


def non_working_days(years: Iterable[int], include_half_days: bool = True) -> dict[date, str]:
    """date → Swedish reason, e.g. 2026-01-06 → "trettondedag jul"."""
    merged: dict[date, str] = {}
    for year in sorted(set(years)):
        merged.update(_year(year, include_half_days))
    return merged
