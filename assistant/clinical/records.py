"""Typed patient facts: what a question says the patient has, had, tried, and what is asked.

These are plain records: the fact extractor (:mod:`assistant.clinical.facts`) builds them from a
question, the judge (:mod:`assistant.decide.judge`) reads them, and unit tests write them by
hand. Every fact keeps the words it was read from (``text``), so a judgement can name both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Assertion of a finding, from ConText: present (stated for this patient now), absent (negated),
# historical (in the past), hypothetical, family (a relative's), possible (doubtful).
PRESENT, ABSENT, HISTORICAL, HYPOTHETICAL, FAMILY, POSSIBLE = (
    "present",
    "absent",
    "historical",
    "hypothetical",
    "family",
    "possible",
)
# Status of a treatment tried: failed (did not help), ongoing, tried (outcome unsaid), not_tried.
FAILED, ONGOING, TRIED, NOT_TRIED = "failed", "ongoing", "tried", "not_tried"


@dataclass(frozen=True)
class Finding:
    concept: str
    status: str  # PRESENT | ABSENT | HISTORICAL | HYPOTHETICAL | FAMILY | POSSIBLE
    text: str
    # A finding the question names as ruled out together with others ("hip disease and vascular
    # claudication have been excluded") counts towards "other sources ruled out".
    excluded: bool = False


@dataclass(frozen=True)
class Treatment:
    concept: str
    status: str  # FAILED | ONGOING | TRIED | NOT_TRIED
    months: float | None  # how long it was tried
    text: str
    complete: bool = False  # the course ended ("has completed 4 months of ...")


@dataclass(frozen=True)
class Event:
    """A procedure the patient had: what, how many, with what relief, how long ago, where."""

    service: str
    count: int | None
    reliefs: tuple[float, ...]  # % relief per procedure, in order
    relief_months: float | None  # how long the relief lasted
    months_ago: float | None
    segments: frozenset[str]  # motion segments ("L4-L5"); vertebrae for a single level ("T11")
    region: str | None
    text: str
    modifiers: dict[str, str] = field(default_factory=dict)
    consecutive: bool = False
    negated: bool = False  # named as not done ("without a trial", "never a fusion")
    functional: float | None = None  # % functional improvement


@dataclass(frozen=True)
class Ask:
    """The service asked about, with the modifiers the question (or its codes) gives it."""

    service: str
    modifiers: dict[str, str]
    codes: tuple[str, ...]
    segments: frozenset[str]
    region: str | None
    text: str
    level_count: int | None = None
    # Set when the request names no level and its levels were read from the same-family procedures
    # already described ("MBB x2 at L4-5 and L5-S1 ... OK for RFA?"): the answer says so.
    levels_assumed: str = ""


@dataclass(frozen=True)
class Measure:
    """A scored or measured value: pain_score (0-10), disability_score (%), rdq, bmi, a1c (%),
    height_loss (%), age (years), nicotine_free_months, pain_months (how long the pain has
    lasted), sessions_12m (sessions of the asked service in the last 12 months, the asked one
    included), positive_tests (provocative tests positive), fracture_age_months."""

    name: str
    value: float
    text: str
    bound: str = "eq"  # eq | ge (a lower bound: "chronic" pain is >= 3 months) | le


@dataclass
class ClinicalFacts:
    """Everything typed that a question states; ``unknown`` is whatever is not here."""

    text: str  # the reading text the facts were taken from
    intent: str  # "necessity" | "information"
    asks: list[Ask] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    treatments: list[Treatment] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    sex: str | None = None
    payers: tuple[str, ...] = ()  # words naming a payer or plan ("medicare", "tricare")
    codes: tuple[str, ...] = ()  # every CPT/HCPCS code the question names
    unknown_codes: tuple[str, ...] = ()  # codes no vocabulary entry or document names
    only_positive_tests: bool = False  # "only A and B are positive": no other test was positive

    def measure(self, name: str) -> Measure | None:
        found = [m for m in self.measures if m.name == name]
        return found[-1] if found else None
