"""Compiled evidence: each criterion, recommendation or rating of a guideline as a typed record.

A :class:`CompiledRule` says what a sentence of a policy governs (its :class:`Scope`: the service,
with modifiers such as repeat or thermal, and the population), what kind of statement it is
(requirement, exclusion, not-covered statement, frequency limit, documentation rule,
recommendation with a strength) and the typed :class:`Cond` a patient's facts must satisfy. A
sentence no condition can be read from keeps ``condition=None``: it can only ever be judged
``unknown``. Records are built at ingest (:mod:`ingest.compile`), stored as JSON in the manifest,
shown by ``guideqa docs show`` and judged by :mod:`assistant.decide.judge`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

RuleKind = Literal[
    "requirement",  # must be met
    "exclusion",  # rules the service out when its condition holds
    "not_covered",  # the service in its scope is not covered, whatever the patient
    "frequency",  # sessions per period
    "documentation",  # what the record must show; never decides
    "recommendation",  # a rating or graded recommendation for (or against) the service in a population
    "definition",  # defines a term other rules use ("the supporting findings are ...")
    "note",  # a statement of the policy no typed rule could be read from
]
Strength = Literal["for", "conditional", "against", "insufficient"]
Op = Literal[
    "all",  # every item holds
    "any",  # at least one item holds
    "not",  # the item does not hold
    "finding",  # concepts present (want=present) or absent (want=absent)
    "treatment",  # treatments tried (want=tried) or tried and failed (want=failed), optionally for >= months
    "measure",  # a measured value compared with a threshold (pain_months >= 3, bmi >= 35, a1c < 8)
    "prior",  # a procedure the patient had: how many, each with what relief, how long, how long ago
    "count",  # how many of the concepts are present (positive provocative tests >= 3)
    "levels",  # spinal levels treated in the session
    "sessions",  # sessions of the service in a window of months, the asked one included
    "modifier",  # a modifier of the asked service (guidance in {fluoroscopy, ct}; technique thermal)
    "ref",  # every requirement of another group of the same document holds ("the general criteria above")
]
Cmp = Literal["ge", "gt", "le", "lt"]


class Cond(BaseModel):
    """A typed condition over patient facts (one flat shape; ``op`` says which fields matter)."""

    op: Op
    items: list[Cond] = Field(default_factory=list)
    concepts: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)  # finding: the policy's own "such as" list
    want: str = ""  # finding: present | absent; treatment: tried | failed; modifier: in | not_in
    measure: str = ""
    cmp: Cmp | None = None
    value: float | None = None
    months: float | None = None  # treatment duration; prior relief duration; sessions window
    months_cmp: Cmp | None = None
    ago_months: float | None = None  # prior: how long ago (with ago_cmp)
    ago_cmp: Cmp | None = None
    count: int | None = None  # prior: at least this many; count/levels/sessions: the limit (with cmp)
    relief: float | None = None  # prior: each gave at least this % relief
    relief_cmp: Cmp | None = None
    consecutive: bool = False  # prior: in a row at the same level
    same_level: bool = False  # prior: at the level being treated
    axis: str = ""
    values: list[str] = Field(default_factory=list)
    group: str = ""  # ref: the sub-heading whose requirements must hold
    text: str = ""  # the words the condition was read from


class Scope(BaseModel):
    services: list[str] = Field(default_factory=list)  # concept ids; a rule applies to these and narrower
    modifiers: dict[str, list[str]] = Field(default_factory=dict)  # axis -> values the rule is limited to
    group: str = ""  # the sub-heading the rule sits under ("" for the whole document)
    general: bool = False  # a group other rules refer to as "the general criteria"
    # Billing codes its heading names ("Arthroscopic meniscectomy (CPT 29880, 29881)"): a question about
    # those codes is in scope even when the vocabulary has no concept for the service.
    codes: list[str] = Field(default_factory=list)


class CompiledRule(BaseModel):
    rule_id: str
    doc_id: str
    chunk_id: str
    text: str
    section: str
    kind: RuleKind
    scope: Scope
    condition: Cond | None = None
    trigger: Cond | None = None  # the rule applies only when this holds ("a hospitalized patient ...")
    strength: Strength | None = None  # recommendations
    grade: str = ""  # the publisher's own grade or rating ("strong recommendation", "7")
    unless: str = ""  # an exception the rule states in words ("unless an urgent indication is present")
    alternative: bool = False  # "is also covered for X": X is another way to meet the group's indication

    @property
    def typed(self) -> bool:
        return self.condition is not None or self.kind in ("not_covered", "recommendation")


class CodeFact(BaseModel):
    """What a document's code table says a billing code is: its descriptor read with the lexicon.

    A question that gives only "72141" or "64483" then carries the modifiers its code implies
    (without contrast; transforaminal, lumbar, with imaging guidance) into the typed facts."""

    code: str
    doc_id: str
    descriptor: str
    services: list[str] = Field(default_factory=list)
    modifiers: dict[str, str] = Field(default_factory=dict)
