"""Judge policy criteria against what the question says: met, not met, or unknown.

Each criterion bullet (from an Indications / Criteria or Limitations / Not covered list) is reduced
to its distinctive concepts, each required present or absent ("absence of untreated
radiculopathy", "no prior spinal fusion at the treated level"). The question's findings carry the
same polarity ("without myelopathy or radiculopathy", "history of prior spinal fusion"). Where they
share a concept the criterion is decided; thresholds ("at least 3 months", "at least 80 % relief")
are compared with the numbers the question gives; everything else stays unknown, which is honest:
the question did not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.query import ParsedQuestion, find_negations
from assistant.schema import CriterionStatus, Determination
from ingest.evidence import Criterion
from ingest.textnorm import STOPWORDS, expand, stem

# Words that say what a policy sentence is (rule, coverage, paperwork), not what the patient has.
_GENERIC = {
    stem(w)
    for w in [
        "require",
        "requires",
        "required",
        "requirement",
        "must",
        "should",
        "may",
        "only",
        "when",
        "least",
        "prior",
        "previous",
        "patient",
        "patients",
        "procedure",
        "procedures",
        "service",
        "services",
        "cover",
        "covers",
        "covered",
        "coverage",
        "medically",
        "necessary",
        "reasonable",
        "indicated",
        "indication",
        "criteria",
        "criterion",
        "document",
        "documented",
        "documentation",
        "record",
        "intervention",
        "interventions",
        "treatment",
        "treatments",
        "level",
        "levels",
        "site",
        "region",
        "regions",
        "spinal",
        "spine",
        "performed",
        "perform",
        "consistent",
        "consider",
        "considered",
        "listed",
        "allowed",
        "defined",
        "following",
        "one",
        "two",
        "three",
        "four",
        "first",
        "second",
        "initial",
        "repeat",
        "same",
        "each",
        "per",
        "within",
        "after",
        "before",
        "time",
        "times",
        "using",
        "use",
        "used",
        "history",
        "physical",
        "exam",
        "examination",
        "clinical",
        "assessment",
        "evaluation",
        "show",
        "shows",
        "showing",
        "other",
        "such",
        "example",
        "including",
        "include",
        "includes",
        "includes",
        "cause",
        "causes",
        "caused",
        "result",
        "results",
        "based",
        "also",
        "well",
    ]
}
_RULE_NEGATION = re.compile(
    r"\b(?:is|are|was|were|does|do|will|shall|would|be)?\s*(?:not|never)\s+(?:be\s+)?(?:considered\s+)?"
    r"(?:medically\s+)?(?:covered|cover|reasonable|necessary|indicated|recommended|allowed|payable|"
    r"appropriate|eligible|supported|a covered benefit)\b|\bnon-?covered\b|\bunproven\b|\binvestigational\b",
    re.I,
)
_THRESHOLD = re.compile(
    r"(?:at least|minimum of|a minimum|no less than|>=|gte|more than|greater than|over)\s*(?:a\s+)?"
    r"(\d+(?:\.\d+)?)\s*(%|percent|day|week|month|year)s?",
    re.I,
)
# An exclusion applies only when the question names enough of it ("prior fusion" vs "prior ALIF").
MIN_EXCLUSION_COVERAGE = 0.3
_UNIT_MONTHS = {"day": 1 / 30.4, "week": 1 / 4.35, "month": 1.0, "year": 12.0}


@dataclass
class CriterionJudgement:
    criterion: Criterion
    status: CriterionStatus
    reason: str


def _concepts(text: str, generic: set[str]) -> tuple[set[str], set[str]]:
    """(required present, required absent) distinctive stems of a criterion sentence."""
    cleaned = _RULE_NEGATION.sub(" ", expand(text))
    negated, affirmed = find_negations(cleaned)
    keep = lambda s: s not in generic and s not in STOPWORDS and not s.isdigit() and len(s) > 2  # noqa: E731
    return {s for s in affirmed if keep(s)}, {s for s in negated if keep(s)}


def _question_concepts(question: ParsedQuestion) -> tuple[set[str], set[str]]:
    present = set(question.affirmed)
    for item in question.history:
        present |= {stem(w) for w in re.findall(r"[a-z]+", expand(item))}
    return present - question.negated, set(question.negated)


def _threshold_status(text: str, question: ParsedQuestion) -> tuple[CriterionStatus, str] | None:
    m = _THRESHOLD.search(expand(text))
    if not m:
        return None
    value, unit = float(m.group(1)), m.group(2).lower()
    if unit in ("%", "percent"):
        stated = [x.value for x in question.measures if x.kind == "percent"]
        label = f"{value:g}%"
    else:
        value *= _UNIT_MONTHS[unit]
        stated = [x.value for x in question.measures if x.kind == "duration_months"]
        label = f"{m.group(1)} {unit}s"
    if not stated:
        return None
    best = max(stated)
    if best >= value:
        return (
            CriterionStatus.met,
            f"the question states {best:g}{'%' if '%' in label else ' months'}, meeting {label}",
        )
    return (
        CriterionStatus.not_met,
        f"the question states {best:g}{'%' if '%' in label else ' months'}, short of {label}",
    )


def _surface(stems: set[str], text: str) -> str:
    """The words as written (not their stems), for a reason a physician reads."""
    found: dict[str, str] = {}
    for word in re.findall(r"[A-Za-z][A-Za-z-]+", text):
        s = stem(word.lower())
        if s in stems and s not in found:
            found[s] = word.lower()
    return ", ".join(found.get(s, s) for s in sorted(stems))


def judge(criterion: Criterion, question: ParsedQuestion, generic_extra: set[str]) -> CriterionJudgement:
    """Decide one criterion against the question; unknown unless the question speaks to it."""
    numeric = _threshold_status(criterion.criterion, question)
    generic = _GENERIC | generic_extra
    need_present, need_absent = _concepts(criterion.criterion, generic)
    q_present, q_absent = _question_concepts(question)

    if numeric is not None and criterion.polarity == "inclusion":
        return CriterionJudgement(criterion, numeric[0], numeric[1])

    distinctive = need_present | need_absent
    agree = (need_present & q_present) | (need_absent & q_absent)
    clash = (need_present & q_absent) | (need_absent & q_present)
    if not (agree or clash):
        return CriterionJudgement(criterion, CriterionStatus.unknown, "the question does not say")
    holds = len(agree) >= len(clash)
    words = _surface(agree | clash, f"{criterion.criterion} {question.text}")
    coverage = len(agree | clash) / len(distinctive)
    if criterion.polarity == "exclusion":
        if holds and coverage >= MIN_EXCLUSION_COVERAGE:
            return CriterionJudgement(criterion, CriterionStatus.not_met, f"the question reports this ({words})")
        if holds:
            return CriterionJudgement(
                criterion,
                CriterionStatus.unknown,
                f"may apply: the question mentions {words}; confirm the rest",
            )
        return CriterionJudgement(criterion, CriterionStatus.met, f"the question rules this out ({words})")
    if holds:
        return CriterionJudgement(criterion, CriterionStatus.met, f"the question states it ({words})")
    return CriterionJudgement(criterion, CriterionStatus.not_met, f"the question states otherwise ({words})")


def verdict(judgements: list[CriterionJudgement]) -> Determination:
    """Any unmet rule -> not indicated; every requirement met -> indicated; otherwise conditional."""
    decisive = [j for j in judgements if j.criterion.polarity in ("inclusion", "exclusion")]
    if any(j.status == CriterionStatus.not_met for j in decisive):
        return Determination.not_indicated
    inclusions = [j for j in decisive if j.criterion.polarity == "inclusion"]
    if inclusions and all(j.status == CriterionStatus.met for j in inclusions):
        return Determination.indicated
    return Determination.conditional


def applicable(criteria: list[Criterion], question: ParsedQuestion) -> list[Criterion]:
    """Criteria whose procedure sub-heading fits the codes or words of the question."""
    codes = {c.upper() for c in [*question.cpt, *question.hcpcs]}
    asked = {stem(w) for w in re.findall(r"[a-z]+", expand(question.procedure or question.text))} - STOPWORDS
    out = []
    for c in criteria:
        if c.polarity == "documentation":
            continue
        if not c.procedure:
            out.append(c)
        elif codes and c.codes:
            if codes & {x.upper() for x in c.codes}:
                out.append(c)
        else:
            heading = {stem(w) for w in re.findall(r"[a-z]+", expand(c.procedure))} - STOPWORDS - _GENERIC
            if not heading or heading & asked:
                out.append(c)
    return out
