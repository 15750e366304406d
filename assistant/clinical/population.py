"""Who a guideline scenario is about (age range) and whether the patient in the question fits.

Scenarios say "Age 18-40", "Older than age 40", "Child ≤24 months", "Neonate younger than 1 month",
"Adult"; questions say "25-year-old", "3-week-old", "toddler". Comparing the two as numbers keeps
"first seizure in a 25-year-old" away from the "older than 40" scenario.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from core.textnorm import expand

_UNIT_YEARS = {"day": 1 / 365, "week": 1 / 52, "month": 1 / 12, "year": 1.0}
_GROUPS: list[tuple[str, tuple[float, float]]] = [
    (r"\b(?:neonates?|newborns?|neonatal)\b", (0.0, 1 / 12)),
    (r"\binfants?\b", (0.0, 1.0)),
    (r"\btoddlers?\b", (1.0, 3.0)),
    (r"\b(?:child|children|pediatric|paediatric|kids?)\b", (0.0, 18.0)),
    (r"\badolescents?\b", (12.0, 18.0)),
    (r"\b(?:adults?)\b", (18.0, 200.0)),
    (r"\b(?:elderly|older adults?|geriatric)\b", (65.0, 200.0)),
]
_UNIT = r"(day|week|month|year)s?"


def _years(value: str, unit: str | None) -> float:
    return float(value) * _UNIT_YEARS.get(unit or "year", 1.0)


@lru_cache(maxsize=20000)
def age_range(text: str) -> tuple[float, float] | None:
    """The age range a scenario text restricts itself to, or None when it does not say."""
    canon = expand(text)
    if re.search(r"\b(?:any|all) ages?\b", canon):
        return 0.0, 200.0
    lo, hi = 0.0, math.inf
    found = False
    m = re.search(r"\bages?\s*(\d+(?:\.\d+)?)\s*(?:-|to|through)\s*(\d+(?:\.\d+)?)\s*" + f"(?:{_UNIT})?", canon)
    if m:
        return _years(m.group(1), m.group(3)), _years(m.group(2), m.group(3))
    for m in re.finditer(
        r"(?:older than|over|gte|gt|at least|aged)\s*(?:age\s*)?(\d+(?:\.\d+)?)\s*" + f"(?:{_UNIT})?", canon
    ):
        lo, found = max(lo, _years(m.group(1), m.group(2))), True
    for m in re.finditer(
        r"(?:younger than|under|less than|lte|lt|up to)\s*(?:age\s*)?(\d+(?:\.\d+)?)\s*" + f"(?:{_UNIT})?",
        canon,
    ):
        context = canon[m.end() : m.end() + 12]
        if m.group(2) or "of age" in context or "age" in canon[max(0, m.start() - 12) : m.start()]:
            hi, found = min(hi, _years(m.group(1), m.group(2))), True
    if found:
        return lo, hi
    m = re.search(r"\b(\d{1,3})\s*-?\s*(day|week|month|year)s?\s*-?\s*old\b", canon)
    if m:  # a vignette about one patient ("60-year-old man"): ages within two years fit
        age = _years(m.group(1), m.group(2))
        return max(0.0, age - 2 * _UNIT_YEARS[m.group(2)]), age + 2 * _UNIT_YEARS[m.group(2)]
    for pattern, bounds in _GROUPS:
        if re.search(pattern, canon):
            if re.search(r"\badult or child|child or adult|adults? and child", canon):
                return None
            return bounds
    return None


def age_fit(patient: tuple[float, float] | None, scenario: str) -> float:
    """-1 when the ages are disjoint, 0 when unknown, up to +1 when they fit.

    A fit counts more the narrower the scenario's range: "age < 2 months" says more about a
    7-week-old than "child" does.
    """
    bounds = age_range(scenario)
    if patient is None or bounds is None:
        return 0.0
    if patient[0] == patient[1]:
        fits = bounds[0] <= patient[0] <= bounds[1]
    else:
        fits = min(patient[1], bounds[1]) > max(patient[0], bounds[0])
    if not fits:
        return -1.0
    width = min(bounds[1], 100.0) - bounds[0]
    return 0.5 + 0.5 / (1.0 + math.log1p(max(width, 0.0)))


_FEMALE = re.compile(
    r"\b(?:woman|women|female|females|girl|girls|pregnan\w*|postpartum|postmenopausal|premenopausal|\d+\s*f)\b"
)
_MALE = re.compile(r"\b(?:man|men|male|males|boy|boys|\d+\s*m)\b")


@lru_cache(maxsize=20000)
def sex_of(text: str) -> str | None:
    """ "F", "M" or None: the sex a text is about ("62F", "pregnant", "man"), when it says one only."""
    canon = expand(text)
    female, male = bool(_FEMALE.search(canon)), bool(_MALE.search(canon))
    if female == male:
        return None
    return "F" if female else "M"


def sex_fit(patient: str | None, scenario: str) -> float:
    """-1 when the scenario is about the other sex (a pregnant patient for a 41M), else 0."""
    other = sex_of(scenario)
    return -1.0 if patient and other and other != patient else 0.0


def patient_age(age_years: float | None, context: str) -> tuple[float, float] | None:
    """The patient's age as a range: exact when the question gives one, else what its words imply."""
    if age_years is not None:
        return (age_years, age_years)
    return age_range(context)
