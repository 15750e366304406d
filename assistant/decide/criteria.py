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

from assistant.clinical.negation import find_negations
from assistant.clinical.thresholds import compare, thresholds
from assistant.query import ParsedQuestion
from assistant.schema import CriterionStatus, Determination
from core.records import Criterion
from core.textnorm import expand, stem
from core.vocabulary import STOPWORDS

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
# An exclusion applies only when the question names enough of it ("prior fusion" vs "prior ALIF").
MIN_EXCLUSION_COVERAGE = 0.3


# Negation and state cue words carry polarity; they are never the concept itself.
_CUES = {
    stem(w)
    for w in [
        "no",
        "not",
        "without",
        "never",
        "none",
        "non",
        "absent",
        "absence",
        "negative",
        "normal",
        "denies",
        "lack",
        "free",
    ]
}


@dataclass
class CriterionJudgement:
    criterion: Criterion
    status: CriterionStatus
    reason: str


def _concepts(text: str, generic: set[str]) -> tuple[set[str], set[str]]:
    """(required present, required absent) distinctive stems of a criterion sentence."""
    cleaned = _RULE_NEGATION.sub(" ", expand(text))
    negated, affirmed = find_negations(cleaned)

    def keep(s: str) -> bool:
        return s not in generic and s not in _CUES and s not in STOPWORDS and not s.isdigit() and len(s) > 2

    return {s for s in affirmed if keep(s)}, {s for s in negated if keep(s)}


def _question_concepts(question: ParsedQuestion) -> tuple[set[str], set[str]]:
    present = set(question.affirmed)
    for item in question.history:
        present |= {stem(w) for w in re.findall(r"[a-z]+", expand(item))}
    return present - question.negated - _CUES, set(question.negated) - _CUES


def _describe(kind: str, value: float, term: str = "") -> str:
    if kind == "percent":
        return f"{value:g}%"
    if kind == "duration_months":
        return f"{value:.3g} months"
    return f"{term} {value:g}".strip()


def _threshold_judgement(criterion: Criterion, question: ParsedQuestion) -> CriterionJudgement | None:
    """Decide a criterion by a threshold it states and a number the question gives, if both exist."""
    stated = question.stated
    if not stated:
        return None
    for threshold in thresholds(criterion.criterion):
        outcome = compare(threshold, stated)
        if outcome is None:
            continue
        holds, value = outcome
        said = _describe(value.kind, value.value, value.term)
        limit = (
            f"{threshold.op.replace('ge', '≥').replace('gt', '>').replace('le', '≤').replace('lt', '<')} "
            + _describe(threshold.kind, threshold.value, threshold.term)
        )
        if criterion.polarity == "exclusion":
            status = CriterionStatus.not_met if holds else CriterionStatus.met
            verb = "falls under" if holds else "is clear of"
        else:
            status = CriterionStatus.met if holds else CriterionStatus.not_met
            verb = "meets" if holds else "does not meet"
        return CriterionJudgement(criterion, status, f"the question states {said}, which {verb} {limit}")
    return None


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
    numeric = _threshold_judgement(criterion, question)
    if numeric is not None:
        return numeric
    generic = _GENERIC | generic_extra
    need_present, need_absent = _concepts(criterion.criterion, generic)
    q_present, q_absent = _question_concepts(question)

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


def _words(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[a-z]+", expand(text))} - STOPWORDS


def applicable(criteria: list[Criterion], question: ParsedQuestion) -> list[Criterion]:
    """The criteria that govern the service asked about.

    By code when the question names one; else by the words of the procedure sub-heading. When no
    sub-heading names the service, the policy as a whole governs it; and when some criteria name
    the service in their own text ("... acupuncture ..."), those are the ones that speak to it.
    """
    codes = {c.upper() for c in [*question.cpt, *question.hcpcs]}
    asked = _words(question.procedure or question.text) - _GENERIC
    rules = [c for c in criteria if c.polarity != "documentation"]
    general = [c for c in rules if not c.procedure]
    headed = [c for c in rules if c.procedure]
    if codes and any(c.codes for c in headed):
        chosen = [c for c in headed if codes & {x.upper() for x in c.codes}]
    else:
        chosen = [c for c in headed if _words(c.procedure) - _GENERIC & asked]
    if not chosen and not codes:
        words = [_words(c.criterion) for c in rules]
        # Words every criterion of the policy shares (its subject) do not single one out.
        common = set.intersection(*words) if words else set()
        mentioning = [c for c, w in zip(rules, words, strict=True) if w & (asked - common)]
        return mentioning or rules
    return general + chosen
