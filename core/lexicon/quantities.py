"""Numbers a clinical text states, typed: durations, percentages, scores, BMI, HbA1c, levels, dates.

Works on the reading text of :func:`core.lexicon.normalize.normalize` (casefolded, number words
as digits) and keeps each quantity's character span, so the fact extractor and the criteria
compiler can tie it to the concept it is about ("9 months" of pain, "85% and 90%" relief from two
blocks, "Oswestry 44%" a disability score, "L4-5 and L5-S1" the levels treated). Thresholds in a
policy sentence ("at least 80%", "below 35", "35 or more") come with their comparison.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

MONTHS_PER = {"minute": 1 / 43800, "hour": 1 / 730, "day": 1 / 30.4, "week": 1 / 4.345, "month": 1.0, "year": 12.0}
_UNIT_WORDS = {
    "d": "day",
    "day": "day",
    "days": "day",
    "w": "week",
    "wk": "week",
    "wks": "week",
    "week": "week",
    "weeks": "week",
    "mo": "month",
    "mos": "month",
    "month": "month",
    "months": "month",
    "m": "month",
    "y": "year",
    "yr": "year",
    "yrs": "year",
    "year": "year",
    "years": "year",
    "hour": "hour",
    "hours": "hour",
    "minute": "minute",
    "minutes": "minute",
}
NUM = r"(\d+(?:\.\d+)?)"
_UNIT = r"(days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|minutes?)"
_DURATION = re.compile(rf"\b{NUM}\s*(?:-|to|or)?\s*(?:{NUM}\s*)?-?\s*{_UNIT}\b(?!\s*-?\s*old\b)")
_X_DURATION = re.compile(r"\bx\s*(\d+(?:\.\d+)?)\s*(d|days?|w|wks?|weeks?|mo|mos|months?|m|y|yrs?|years?)\b")
_A_DURATION = re.compile(r"\b(?:a|one|the past|the last|past|last)\s+(day|week|month|year)\b")
_HALF_YEAR = re.compile(r"\b(?:a|one)\s+and\s+a\s+half\s+(year|month)s?\b")
_PERCENT = re.compile(rf"\b{NUM}\s*(?:%|percent\b)")
_PERCENT_LIST = re.compile(r"\b(\d{1,3})\s*/\s*(\d{1,3})(?:\s*/\s*(\d{1,3}))?\s*(?:%|percent\b)")
_PERCENT_AND = re.compile(r"\b(\d{1,3})\s*(?:%|percent)?\s*(?:and then|and|then|,|to)\s*(\d{1,3})\s*(?:%|percent\b)")
_OUT_OF_10 = re.compile(r"\b(\d{1,2}(?:\.\d)?)\s*/\s*10\b")
_YEAR = re.compile(r"\b(?:in|since|from|during|of)\s+((?:19|20)\d{2})\b")
_LEVEL = re.compile(r"\b([ctls])\s?(\d{1,2})\s*(?:-|/|to|–)\s*([ctls])?\s?(\d{1,2})\b|\b([ctls])(\d{1,2})\b")
_REGION_OF = {"c": "cervical", "t": "thoracic", "l": "lumbar", "s": "sacral"}
_LEVEL_COUNT = re.compile(
    r"\b(\d)\s*-?\s*levels?\b|\b(single|one|two|three|four)\s*-?\s*levels?\b|\bsingle-level\b|\b(\d)\s*-?\s*joints?\b"
)
COMPARATORS: list[tuple[str, str]] = [
    (r"at least|a minimum of|minimum of|no less than|not less than|>=|≥|a consistent minimum of", "ge"),
    (r"more than|greater than|over|above|exceeding|>", "gt"),
    (r"less than|fewer than|under|below|<", "lt"),
    (r"at most|no more than|up to|a maximum of|maximum of|not more than|<=|≤|or less", "le"),
]
_OR_MORE = re.compile(
    rf"\b{NUM}\s*(%|percent)?\s*(?:{_UNIT}\s*)?or\s+(more|greater|higher|above|less|fewer|lower|below)\b"
)


@dataclass(frozen=True)
class Quantity:
    """A number in the text: what kind it is, its value (durations in months), and where it is."""

    kind: str  # duration | percent | score10 | year | count
    value: float
    start: int
    end: int
    text: str
    values: tuple[float, ...] = ()  # several percentages given together ("85% and 90%")
    op: str | None = None  # a threshold's comparison: ge | gt | lt | le


@dataclass(frozen=True)
class Level:
    """A spinal segment or a span of segments ("L4-5", "L5-S1", "L4-S1", "T11")."""

    segments: tuple[str, ...]  # ("L4-L5",) or ("L4-L5", "L5-S1") for a span; ("T11",) for one vertebra
    region: str
    start: int
    end: int

    @property
    def vertebrae(self) -> frozenset[str]:
        out: set[str] = set()
        for seg in self.segments:
            out.update(seg.split("-"))
        return frozenset(out)


@dataclass
class Quantities:
    durations: list[Quantity] = field(default_factory=list)
    percents: list[Quantity] = field(default_factory=list)
    scores10: list[Quantity] = field(default_factory=list)
    years: list[Quantity] = field(default_factory=list)
    levels: list[Level] = field(default_factory=list)
    level_counts: list[Quantity] = field(default_factory=list)


def to_months(value: float, unit: str) -> float:
    return value * MONTHS_PER[_UNIT_WORDS.get(unit, unit)]


def _comparator(before: str) -> str | None:
    tail = before[-40:]
    for pattern, op in COMPARATORS:
        if re.search(rf"(?:{pattern})\s*$", tail):
            return op
    return None


_SEQUENCE = ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10"]
_SEQUENCE += ["t11", "t12", "l1", "l2", "l3", "l4", "l5", "s1", "s2"]


def _segments(a: str, b: str) -> tuple[str, ...]:
    """Motion segments between two vertebrae: L4-S1 -> (L4-L5, L5-S1)."""
    if a not in _SEQUENCE or b not in _SEQUENCE:
        return (f"{a.upper()}-{b.upper()}",)
    i, j = sorted((_SEQUENCE.index(a), _SEQUENCE.index(b)))
    if i == j:
        return (a.upper(),)
    return tuple(f"{_SEQUENCE[k].upper()}-{_SEQUENCE[k + 1].upper()}" for k in range(i, j))


def _levels(text: str) -> list[Level]:
    out: list[Level] = []
    for m in _LEVEL.finditer(text):
        if m.group(1):
            first = f"{m.group(1)}{m.group(2)}"
            second = f"{m.group(3) or m.group(1)}{m.group(4)}"
            out.append(Level(_segments(first, second), _REGION_OF[m.group(1)], m.start(), m.end()))
        else:
            letter, number = m.group(5), m.group(6)
            # "L5 radiculopathy", "T11 fracture": a single named vertebra or root.
            out.append(Level((f"{letter.upper()}{number}",), _REGION_OF[letter], m.start(), m.end()))
    return out


@lru_cache(maxsize=20000)
def find_quantities(text: str, today: dt.date | None = None) -> Quantities:
    """Every typed quantity of a reading text (see the module docstring)."""
    q = Quantities()
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in _PERCENT_LIST.finditer(text):
        vals = tuple(float(v) for v in m.groups() if v)
        q.percents.append(
            Quantity("percent", vals[-1], m.start(), m.end(), m.group(0), vals, _comparator(text[: m.start()]))
        )
        taken.append((m.start(), m.end()))
    for m in _PERCENT_AND.finditer(text):
        if not free(m.start(), m.end()):
            continue
        vals = (float(m.group(1)), float(m.group(2)))
        if all(v <= 100 for v in vals):
            q.percents.append(Quantity("percent", vals[-1], m.start(), m.end(), m.group(0), vals, None))
            taken.append((m.start(), m.end()))
    for m in _PERCENT.finditer(text):
        if not free(m.start(), m.end()):
            continue
        op = _comparator(text[: m.start()])
        after = _OR_MORE.match(text, m.start())
        if after and after.group(3):
            op = "ge" if after.group(4) in ("more", "greater", "higher", "above") else "le"
        value = float(m.group(1))
        q.percents.append(Quantity("percent", value, m.start(), m.end(), m.group(0), (value,), op))
        taken.append((m.start(), m.end()))
    for m in _OUT_OF_10.finditer(text):
        q.scores10.append(Quantity("score10", float(m.group(1)), m.start(), m.end(), m.group(0)))
        taken.append((m.start(), m.end()))
    for m in _X_DURATION.finditer(text):
        value = to_months(float(m.group(1)), m.group(2))
        q.durations.append(Quantity("duration", value, m.start(), m.end(), m.group(0)))
        taken.append((m.start(), m.end()))
    for m in _DURATION.finditer(text):
        if not free(m.start(), m.end()):
            continue
        high = m.group(2) or m.group(1)
        value = to_months(float(high), m.group(3))
        op = _comparator(text[: m.start()])
        after = _OR_MORE.match(text, m.start())
        if after and after.group(4):
            op = "ge" if after.group(4) in ("more", "greater", "higher", "above") else "le"
        q.durations.append(Quantity("duration", value, m.start(), m.end(), m.group(0), op=op))
        taken.append((m.start(), m.end()))
    for m in _HALF_YEAR.finditer(text):
        q.durations.append(Quantity("duration", to_months(1.5, m.group(1)), m.start(), m.end(), m.group(0)))
    for m in _A_DURATION.finditer(text):
        if free(m.start(), m.end()):
            q.durations.append(Quantity("duration", to_months(1, m.group(1)), m.start(), m.end(), m.group(0)))
    year_now = (today or dt.date.today()).year
    for m in _YEAR.finditer(text):
        year = int(m.group(1))
        if 1950 <= year <= year_now:
            q.years.append(Quantity("year", float(year_now - year) * 12.0, m.start(), m.end(), m.group(0)))
    q.levels = _levels(text)
    for m in _LEVEL_COUNT.finditer(text):
        word = (m.group(2) or "").lower()
        n = (
            m.group(1)
            or m.group(3)
            or {"single": "1", "one": "1", "two": "2", "three": "3", "four": "4"}.get(word, "1")
        )
        q.level_counts.append(Quantity("count", float(n), m.start(), m.end(), m.group(0)))
    for lst in (q.durations, q.percents):
        lst.sort(key=lambda x: x.start)
    return q


def threshold_after(text: str, start: int) -> tuple[str, float, str] | None:
    """The first "<comparator> <number>[unit]" at or after ``start``: (op, value, unit or '')."""
    window = text[start : start + 80]
    for pattern, op in COMPARATORS:
        m = re.search(rf"(?:{pattern})\s*(?:a\s+|an\s+)?{NUM}\s*(%|percent|/10|{_UNIT})?", window)
        if m:
            return op, float(m.group(1)), m.group(2) or ""
    return None
