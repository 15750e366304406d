"""Numeric thresholds in criteria ("at least 3 months", "BMI below 35") against numbers in a question.

A threshold is only compared with a number the question states about the same thing: the words
around the number in the question must share a content word with the words around the threshold
("4 months of axial pain" meets "pain for at least 3 months"; it says nothing about "relief for
at least 6 months"). Thresholds inside a conditional clause ("when the prior ablation was more than
2 years ago") state when a rule applies, not a requirement, and are skipped.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from core.textnorm import expand, stem
from core.vocabulary import STOPWORDS

_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "twelve": "12",
    "eighteen": "18",
    "twenty-four": "24",
}
UNITS_IN_MONTHS = {"minute": 1 / 43800, "hour": 1 / 730, "day": 1 / 30.4, "week": 1 / 4.35, "month": 1.0, "year": 12.0}
_OPS: list[tuple[str, str]] = [
    (r"at least|a minimum of|minimum of|no less than|gte|>=", "ge"),
    (r"more than|greater than|over|above|exceeding|gt|>", "gt"),
    (r"less than|fewer than|under|below|before|lt|<", "lt"),
    (r"at most|no more than|up to|a maximum of|maximum of|lte|<=", "le"),
]
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "ge": operator.ge,
    "gt": operator.gt,
    "lt": operator.lt,
    "le": operator.le,
}
_NUMBER = r"(\d+(?:\.\d+)?)"
_UNIT = r"\s*(%|percent|minute|hour|day|week|month|year)?(?:(?<=%)|s?\b)"
_CONDITIONAL = re.compile(r"\b(?:when|if|unless|where|whenever)\b")


@dataclass(frozen=True)
class Threshold:
    op: str  # "ge" | "gt" | "lt" | "le"
    value: float  # in months for durations
    kind: str  # "percent" | "duration_months" | "value"
    term: str  # the measured thing for plain values ("bmi"), else ""
    context: frozenset[str]  # content stems around the threshold


@dataclass(frozen=True)
class Stated:
    value: float
    kind: str
    term: str
    context: frozenset[str]


def number_words(text: str) -> str:
    """Normalised text with number words as digits ("six months" -> "6 months")."""
    out = expand(text)
    for word, digit in _WORDS.items():
        out = re.sub(rf"\b{word}\b", digit, out)
    return out


def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in re.findall(r"[a-z]+", text) if w not in STOPWORDS and len(w) > 2)


def _amount(number: str, unit: str | None) -> float:
    """The number, converted to months when it is a duration."""
    value = float(number)
    return value * UNITS_IN_MONTHS[unit] if unit and unit not in ("%", "percent") else value


def _kind(unit: str | None) -> str:
    if unit in ("%", "percent"):
        return "percent"
    return "duration_months" if unit else "value"


def _near(text: str, m: re.Match[str], words: int = 6) -> frozenset[str]:
    """Content stems within a few words of a number: what the number is about."""
    before = text[: m.start()].split()[-words:]
    after = text[m.end() :].split()[:words]
    return _stems(" ".join(before + after))


def _term(clause: str, start: int, unit: str | None) -> str:
    """For a unitless threshold, the measured thing named just before it ("bmi" in "BMI of 35 or more")."""
    if unit:
        return ""
    before = [w.strip("()[],.:;") for w in clause[:start].split()[-4:]]
    return stem(next((w for w in reversed(before) if w not in STOPWORDS and w.isalpha()), ""))


@lru_cache(maxsize=50000)
def thresholds(text: str) -> tuple[Threshold, ...]:
    """The requirement-like thresholds of a criterion sentence (cached: captions recur per question)."""
    canon = number_words(text)
    found: list[Threshold] = []
    for clause in re.split(r"[;,]|\.(?:\s|$)", canon):
        for pattern, op in _OPS:
            for m in re.finditer(rf"\b(?:{pattern})\s*(?:age\s+)?{_NUMBER}{_UNIT}", clause):
                if _CONDITIONAL.search(clause[: m.start()]):
                    continue
                value, unit = _amount(m.group(1), m.group(2)), m.group(2)
                found.append(Threshold(op, value, _kind(unit), _term(clause, m.start(), unit), _near(clause, m)))
        for m in re.finditer(rf"{_NUMBER}{_UNIT}\s+or\s+(more|greater|higher|above|less|fewer|lower|below)\b", clause):
            if _CONDITIONAL.search(clause[: m.start()]):
                continue
            value, unit = _amount(m.group(1), m.group(2)), m.group(2)
            op = "ge" if m.group(3) in ("more", "greater", "higher", "above") else "le"
            found.append(Threshold(op, value, _kind(unit), _term(clause, m.start(), unit), _near(clause, m)))
    return tuple(found)


def stated_values(text: str) -> list[Stated]:
    """Numbers the question states: durations, percentages and named values ("BMI 36", "PSA 15")."""
    canon = number_words(text)
    out: list[Stated] = []
    for m in re.finditer(rf"{_NUMBER}\s*-?{_UNIT}(?!\s*-?\s*old)", canon):
        unit = m.group(2)
        if not unit:
            continue
        out.append(Stated(_amount(m.group(1), unit), _kind(unit), "", _near(canon, m)))
    for m in re.finditer(
        rf"\b([a-z][a-z0-9-]{{1,20}})\s*(?:of|=|:|is|was)?\s*{_NUMBER}\b(?!\s*(?:%|percent|-|minute|hour|day|week|month|year))",
        canon,
    ):
        out.append(
            Stated(float(m.group(2)), "value", stem(m.group(1)), _stems(canon[max(0, m.start() - 60) : m.end() + 60]))
        )
    return out


def compare(threshold: Threshold, stated: list[Stated]) -> tuple[bool, Stated] | None:
    """Whether the stated number satisfies the threshold's condition, if the question states one about it."""
    for s in stated:
        if s.kind != threshold.kind:
            continue
        if threshold.kind == "value":
            if not threshold.term or s.term != threshold.term:
                continue
        elif not (s.context & threshold.context):
            continue
        return _COMPARE[threshold.op](s.value, threshold.value), s
    return None
