"""From judged rules to a verdict: which document governs the ask, and what it says.

- A document governs an ask when it holds an applicable requirement, coverage statement or
  recommendation for the asked service; a payer the question names picks among several (a
  TRICARE beneficiary is judged by TRICARE's page, not by a Medicare LCD), then retrieval order.
- ``not_indicated`` only when an applicable exclusion or not-covered statement is established,
  or a requirement is contradicted by a stated fact; ``indicated`` only when every applicable
  requirement is met and no exclusion applies; ``conditional`` otherwise, with the unknown
  requirements as what to document; ``insufficient_evidence`` when no document governs the ask.
- Recommendations (ratings, graded statements) decide by the strength of the one whose
  population the patient's facts match best.
Plain records in and out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.clinical.records import Ask, ClinicalFacts
from assistant.decide.judge import MET, NOT_MET, UNKNOWN, Judge, Judgement
from core.lexicon import load_lexicon
from core.rules import CompiledRule

DECIDING = ("requirement", "frequency", "exclusion", "not_covered")
STRENGTH_VERDICT = {
    "for": "indicated",
    "conditional": "conditional",
    "against": "not_indicated",
    "insufficient": "insufficient_evidence",
}


@dataclass
class DocInfo:
    doc_id: str
    title: str
    publisher: str
    rank: int  # retrieval rank, 0 best


@dataclass
class Decision:
    verdict: str  # indicated | not_indicated | conditional | insufficient_evidence
    doc_id: str | None
    ask: Ask | None
    judgements: list[Judgement] = field(default_factory=list)  # applicable rules, decisive first
    maybe: list[Judgement] = field(default_factory=list)  # rules whose applicability the question leaves open
    documentation: list[CompiledRule] = field(default_factory=list)
    decisive: list[Judgement] = field(default_factory=list)
    recommendation: Judgement | None = None
    other_docs: list[str] = field(default_factory=list)  # other documents that also govern the ask
    reason: str = ""


def _payer_words(info: DocInfo) -> set[str]:
    return {w.lower().strip("(),.") for w in f"{info.title} {info.publisher}".split()}


def _payer_match(facts: ClinicalFacts, info: DocInfo) -> bool:
    words = _payer_words(info)
    aliases = {"medicare": {"medicare", "cms", "lcd", "ncd"}}
    return any(({p} | aliases.get(p, set())) & words for p in facts.payers)


def _governs(judge: Judge, rules: list[CompiledRule]) -> list[CompiledRule]:
    """Rules that make a document speak to the ask: requirements, coverage statements, recommendations,
    and exclusions with a typed condition (an exclusion without one is a caveat, not a policy for it)."""
    return [
        r
        for r in rules
        if (r.scope.services or r.scope.codes)
        and (
            r.kind in ("requirement", "not_covered", "recommendation")
            or (r.kind == "exclusion" and r.condition is not None)
        )
        and judge.applies(r) != "no"
    ]


def _regions(rules: list[CompiledRule]) -> set[str]:
    """The spinal regions a document's rules are limited to (empty: it does not say)."""
    return {v for r in rules for v in r.scope.modifiers.get("region", [])}


def _recommend(judge: Judge, recs: list[CompiledRule]) -> Judgement | None:
    """The recommendation whose population the facts meet best (met atoms count, unmet ones exclude)."""
    scored: list[tuple[int, int, Judgement]] = []
    for rule in recs:
        if rule.strength is None:
            continue
        j = (
            judge.judge(rule)
            if rule.condition is not None
            else Judgement(rule, MET, "applies to every patient of this topic", [])
        )
        if j.status == NOT_MET:
            continue
        # A rating whose population the facts meet beats one for every patient; the service named itself beats
        # its umbrella ("MRI" over "imaging").
        score = (3 if rule.condition is not None else 1) if j.status == MET else 0
        specific = 1 if judge.ask.service in rule.scope.services else 0
        scored.append((score, specific, j))
    if not scored:
        return None
    scored.sort(key=lambda x: (-x[0], -x[1]))  # stable: document order breaks ties
    return scored[0][2]


_STRENGTH_STATUS = {"for": MET, "against": NOT_MET, "conditional": UNKNOWN, "insufficient": UNKNOWN}


def _rated(judge: Judge, rule: CompiledRule) -> Judgement | None:
    """A recommendation shown as a criterion: met when it rates the service for this patient, not met when it
    rates it against, unknown when it only may be appropriate; None when its population does not fit."""
    if rule.strength is None:
        return None
    population = judge.evaluate(rule.condition) if rule.condition is not None else None
    if population is not None and population.status != MET:
        return None
    status = _STRENGTH_STATUS[rule.strength]
    verb = {
        "for": "rates it for",
        "against": "rates it against",
        "conditional": "rates it as may be appropriate",
        "insufficient": "finds the evidence insufficient",
    }[rule.strength]
    facts = population.facts if population is not None else [judge.ask.text]
    reason = f"{verb} this patient" + (f" ({population.reason})" if population is not None else "")
    return Judgement(rule, status, reason, facts)


def _definition(judge: Judge, rule: CompiledRule) -> Judgement | None:
    """A definition the patient's facts instantiate ("type 2 diabetes counts as a comorbidity";
    "... are the covered procedures" naming the ask), shown as met; None otherwise."""
    reading_services = [s for s in rule.scope.services if judge.lexicon.is_a(judge.ask.service, s)]
    text = rule.text.lower()
    if "covered" in text and reading_services and len(rule.scope.services) > 1:
        return Judgement(
            rule, MET, f"{judge._ask_text()} is one of the procedures this statement covers", [judge.ask.text]
        )
    if rule.condition is not None:
        outcome = judge.evaluate(rule.condition)
        if outcome.status == MET:
            return Judgement(rule, MET, outcome.reason, outcome.facts)
    return None


def settle(applicable: list[Judgement]) -> tuple[str, list[Judgement]] | None:
    """The verdict the applicable requirements, limits and exclusions give, with the judgements that decide
    it; None when none of them applies (a recommendation then decides). One rule for every judge, the
    offline typed judge and an LLM's structured judgements alike:
    ``not_indicated`` when an exclusion is established or a requirement contradicted; ``indicated`` when
    every requirement is met; ``conditional`` with the unknown requirements otherwise."""
    excluded = [j for j in applicable if j.rule.kind in ("exclusion", "not_covered") and j.status == NOT_MET]
    failing = [j for j in applicable if j.rule.kind in ("requirement", "frequency") and j.status == NOT_MET]
    requirements = [j for j in applicable if j.rule.kind in ("requirement", "frequency")]
    if excluded or failing:
        return "not_indicated", excluded + failing
    if requirements and all(j.status == MET for j in requirements):
        return "indicated", requirements
    if requirements:
        return "conditional", [j for j in requirements if j.status == UNKNOWN]
    return None


def decide(facts: ClinicalFacts, rules_by_doc: dict[str, list[CompiledRule]], docs: dict[str, DocInfo]) -> Decision:
    """The verdict for the first ask of ``facts`` under the documents' compiled rules."""
    lexicon = load_lexicon()
    if not facts.asks:
        return Decision("insufficient_evidence", None, None, reason="the question names no service this corpus governs")
    ask = facts.asks[0]
    asked_codes = {c.upper() for c in ask.codes}
    if (ask.service.startswith("unrecognized:") or ask.service not in lexicon.concepts) and not any(
        asked_codes & set(r.scope.codes) for rules in rules_by_doc.values() for r in rules
    ):
        # A service the vocabulary does not type is judged only by a document whose criteria headings
        # name its billing codes.
        return Decision(
            "insufficient_evidence", None, ask, reason="no approved document governs the service asked about"
        )
    candidates: list[tuple[tuple[int, int, int, int], str, Judge]] = []
    elsewhere: list[str] = []  # documents that govern the service, but only in another spinal region
    for doc_id, rules in rules_by_doc.items():
        info = docs.get(doc_id)
        if info is None:
            continue
        lenient = any(r.kind == "recommendation" for r in rules)
        judge = Judge(facts, ask, lexicon, lenient_findings=lenient)
        judge.know(rules)
        regions = _regions(rules)
        if regions and ask.region and ask.region not in regions and ask.region != "sacral":
            # a lumbar-only summary does not govern a cervical fusion
            if _governs(judge, rules):
                elsewhere.append(f"{info.title} is limited to the {' and '.join(sorted(regions))} spine")
            continue
        governing = _governs(judge, rules)
        if not governing:
            continue
        sure = sum(1 for r in governing if judge.applies(r) == "yes")
        key = (0 if _payer_match(facts, info) else 1, 0 if sure else 1, info.rank, -sure)
        candidates.append((key, doc_id, judge))
    if not candidates:
        reason = "; ".join(elsewhere) if elsewhere else "no approved document governs the service asked about"
        return Decision("insufficient_evidence", None, ask, reason=reason)
    candidates.sort(key=lambda x: x[0])
    _, doc_id, judge = candidates[0]
    rules = rules_by_doc[doc_id]
    decision = Decision("conditional", doc_id, ask, other_docs=[d for _, d, _ in candidates[1:]])
    applicable: list[Judgement] = []
    for rule in rules:
        if rule.kind == "documentation":
            if judge.covers(rule) is not False or not rule.scope.services:
                decision.documentation.append(rule)
            continue
        if rule.kind not in DECIDING:
            continue
        j = judge.judge(rule)
        if j.applies == "no":
            continue
        if j.applies == "maybe":
            decision.maybe.append(j)
        else:
            applicable.append(j)
    recs = [r for r in rules if r.kind == "recommendation" and judge.applies(r) != "no"]
    shown: list[Judgement] = []
    for rule in rules:
        if rule.kind == "definition" and judge.applies(rule) != "no":
            definition = _definition(judge, rule)
            if definition is not None:
                shown.append(definition)
    for rule in recs:
        rated = _rated(judge, rule)
        if rated is not None:
            shown.append(rated)
    # "is also covered for X": another way to meet the group's indication
    alternatives = [j for j in applicable if j.rule.alternative]
    applicable = [j for j in applicable if not j.rule.alternative]
    for alt in alternatives:
        if alt.status == MET:
            group = [
                j for j in applicable if j.rule.kind == "requirement" and j.rule.scope.group == alt.rule.scope.group
            ]
            if group:
                first = group[0]
                first.status, first.reason, first.facts = (
                    MET,
                    f"met by an alternative indication: {alt.reason}",
                    alt.facts,
                )
        decision.maybe.append(alt)
    decision.judgements = sorted(
        applicable,
        key=lambda j: ({NOT_MET: 0, UNKNOWN: 1, MET: 2}[j.status], j.rule.kind not in ("exclusion", "not_covered")),
    )
    decision.judgements += [j for j in shown if j.rule.rule_id not in {x.rule.rule_id for x in decision.judgements}]
    settled = settle(applicable)
    if settled is not None:
        decision.verdict, decision.decisive = settled
    elif recs:
        chosen = _recommend(judge, recs)
        if chosen is None:
            decision.verdict = "conditional"
            decision.reason = "no rated scenario matches the facts given"
        else:
            decision.recommendation = _rated(judge, chosen.rule) or chosen
            strength = chosen.rule.strength or "conditional"
            verdict = STRENGTH_VERDICT[strength]
            if chosen.status == UNKNOWN and verdict == "indicated":
                verdict = "conditional"  # the scenario it is rated for is not established by the facts
            decision.verdict = verdict
            decision.decisive = [chosen]
    else:
        decision.verdict = "conditional"
    return decision
