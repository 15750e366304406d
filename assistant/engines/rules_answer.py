"""The answer to a question some document's compiled rules govern: typed facts judged, verdict, citations.

The offline engine calls :func:`decide_from_rules` after the rating-table path. It picks the
documents that could govern the asked service (those whose compiled rules name it, the code
matches and the best retrieved ones), lets :func:`assistant.decide.necessity.decide` judge them
against the question's :class:`~assistant.clinical.records.ClinicalFacts`, and turns the
:class:`~assistant.decide.necessity.Decision` into an ``Answer``: every criterion cites the chunk
its rule was compiled from, met / not met only from a typed fact, the unknown requirements as
"what to document". The headline is one short sentence; the detail is in the criteria.
"""

from __future__ import annotations

import re

from assistant.clinical.records import ClinicalFacts
from assistant.compose import Draft
from assistant.decide.judge import MET, NOT_MET, UNKNOWN, Judgement
from assistant.decide.necessity import Decision, DocInfo, decide
from assistant.engines.base import EngineRequest
from assistant.schema import VERDICT_LABELS, Answer, CriterionStatus, Determination
from core.lexicon import load_lexicon
from core.records import StoredChunk
from core.rules import CompiledRule

RETRIEVED_DOCS = 5  # besides the documents whose rules name the service: the best retrieved ones
# Governing documents that neither retriever reached (none of their chunks is in the fused pool) are
# weak candidates: decide ranks them after every retrieved one. Keeping a few lets a shorthand question
# that retrieval misreads still find its policy; keeping all of them made every answer read the rules of
# every document naming the service, O(corpus) (issue 16: p95 x3.8 at ten times the documents).
UNRETRIEVED_GOVERNING = 8
MAX_CRITERIA = 14
_STATUS = {MET: CriterionStatus.met, NOT_MET: CriterionStatus.not_met, UNKNOWN: CriterionStatus.unknown}


def candidate_docs(request: EngineRequest, facts: ClinicalFacts) -> list[str]:
    """Documents that may govern the ask: rules naming the service (or a broader or narrower one), code matches,
    then the best retrieved documents.

    Bounded by the retrieval pool, not the corpus: every governing document retrieval reached, in
    retrieval order, and at most :data:`UNRETRIEVED_GOVERNING` it did not."""
    lexicon = load_lexicon()
    r = request.retrieval
    services: set[str] = set()
    exact: list[str] = []
    for ask in facts.asks[:1]:
        if ask.service in lexicon.concepts:
            services |= set(lexicon.ancestors(ask.service)) | set(lexicon.descendants(ask.service))
            exact = request.corpus.docs_governing([ask.service])
    governing = request.corpus.docs_governing(services) if services else []
    governs = set(governing)
    retrieved = [d for d in r.doc_ids if d in governs]  # doc_ids is best first
    # Of the unretrieved, those whose rules name the asked service itself before a broader or narrower one.
    seen = set(r.doc_ids)
    unretrieved = [d for d in dict.fromkeys([*exact, *governing]) if d not in seen][:UNRETRIEVED_GOVERNING]
    coded = [d for d in r.doc_ids if r.code_docs.get(d)]
    return list(dict.fromkeys([*retrieved, *unretrieved, *coded, *r.doc_ids[:RETRIEVED_DOCS]]))


def ungoverned_codes(request: EngineRequest) -> str | None:
    """The billing codes asked about when no approved document governs them, else None.

    A question that names codes ("greater occipital nerve block (64405)") for a service no document's
    rules, code list or code table covers is answered ``insufficient_evidence`` outright: a sentence-level
    reading of documents about something else is no evidence."""
    facts = request.clinical_facts()
    if facts is None or not facts.asks or not facts.asks[0].codes:
        return None
    ask = facts.asks[0]
    if request.retrieval.code_docs or request.corpus.code_facts(ask.codes):
        return None
    lexicon = load_lexicon()
    if not ask.service.startswith("unrecognized:") and ask.service in lexicon.concepts:
        services = set(lexicon.ancestors(ask.service)) | set(lexicon.descendants(ask.service))
        if request.corpus.docs_governing(services):
            return None
    return ", ".join(ask.codes)


def decide_from_rules(request: EngineRequest) -> tuple[Decision, dict[str, list[CompiledRule]]] | None:
    """The typed decision for the question, or None when the question names no service a lexicon concept types."""
    facts = request.clinical_facts()
    if facts is None or not facts.asks:
        return None
    ask = facts.asks[0]
    untyped = ask.service.startswith("unrecognized:") or ask.service not in load_lexicon().concepts
    if untyped and not (ask.codes and request.retrieval.code_docs):
        return None
    # A service the vocabulary does not type is judged only by the documents that list its codes.
    doc_ids = (
        [d for d in request.retrieval.doc_ids if request.retrieval.code_docs.get(d)]
        if untyped
        else candidate_docs(request, facts)
    )
    rules = request.corpus.rules(doc_ids)
    ranks = request.retrieval.doc_ranks()
    docs: dict[str, DocInfo] = {}
    for doc_id in rules:
        record = request.corpus.get(doc_id)
        if record is not None:
            docs[doc_id] = DocInfo(doc_id, record.meta.title, record.meta.publisher, ranks.get(doc_id, 99))
    return decide(facts, rules, docs), rules


def _service_label(decision: Decision) -> str:
    ask = decision.ask
    if ask is None:
        return "the service"
    lexicon = load_lexicon()
    if ask.service in lexicon.concepts:
        return lexicon.label(ask.service)
    return f"CPT {', '.join(ask.codes)}" if ask.codes else ask.text


def headline(decision: Decision, title: str) -> str:
    """One sentence a physician reads at a glance; the criteria carry the detail."""
    service = _service_label(decision)
    label = VERDICT_LABELS[Determination(decision.verdict)]
    if decision.verdict == "indicated":
        if decision.recommendation is not None:
            return f"{label}: {title} rates {service} for this patient."
        return f"{label}: every applicable criterion of {title} for {service} is met."
    if decision.verdict == "not_indicated":
        first = decision.decisive[0] if decision.decisive else None
        if first is not None and first.rule.kind in ("exclusion", "not_covered"):
            return f"{label}: {title} excludes {service} here ({_short(first.reason)})."
        if first is not None and first.rule.kind == "recommendation":
            return f"{label}: {title} rates {service} against for this patient."
        return f"{label}: a criterion of {title} for {service} is not met ({_short(first.reason if first else '')})."
    if decision.verdict == "insufficient_evidence":
        return f"{label}: {title} finds the evidence for {service} insufficient."
    unknown = [j for j in decision.decisive if j.status == UNKNOWN]
    if unknown:
        return f"{label}: {len(unknown)} criteria of {title} for {service} are not settled by the question."
    return f"{label}: {title} leaves {service} to case-by-case judgement for this patient."


def short_title(title: str) -> str:
    """A title without its trailing parenthetical ("... (summary of Medicare LCD L38773)"), for a headline."""
    short = re.sub(r"\s*\([^()]*\)\s*$", "", title).strip()
    return short or title


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def build_answer(
    draft: Draft,
    decision: Decision,
    rules: dict[str, list[CompiledRule]],
    request: EngineRequest,
    timings: dict[str, float],
) -> Answer | None:
    """The decision as a validated answer; None when none of its rules could be cited."""
    if decision.doc_id is None:
        return None
    corpus = draft.corpus
    record = corpus.get(decision.doc_id)
    title = short_title(record.meta.title) if record else decision.doc_id
    wanted = [j.rule.chunk_id for j in decision.judgements + decision.maybe] + [
        r.chunk_id for r in decision.documentation
    ]
    chunks: dict[str, StoredChunk] = corpus.chunks(dict.fromkeys(wanted))

    def criterion(j: Judgement) -> bool:
        chunk = chunks.get(j.rule.chunk_id)
        if chunk is None:
            return False
        reason = j.reason if j.applies == "yes" else f"may apply: {j.reason}"
        return draft.add_criterion(
            j.rule.text, _STATUS[j.status], reason, chunk, rule_id=j.rule.rule_id, kind=j.rule.kind, facts=j.facts
        )

    shown = 0
    ordered = decision.judgements
    if decision.recommendation is not None:
        ordered = [
            decision.recommendation,
            *[j for j in ordered if j.rule.rule_id != decision.recommendation.rule.rule_id],
        ]
    for j in ordered:
        if shown < MAX_CRITERIA and criterion(j):
            shown += 1
    for j in decision.maybe[:3]:
        if shown < MAX_CRITERIA and criterion(j):
            shown += 1
    for j in decision.decisive[:4]:
        chunk = chunks.get(j.rule.chunk_id)
        if chunk is not None:
            draft.add_bullet("Evidence", j.rule.text, chunk)
    if decision.verdict == "conditional":
        for j in [
            j for j in decision.judgements if j.status == UNKNOWN and j.rule.kind in ("requirement", "frequency")
        ][:6]:
            chunk = chunks.get(j.rule.chunk_id)
            if chunk is not None:
                draft.add_bullet("What to document", j.rule.text, chunk)
    pitfalls = [j for j in decision.judgements if j.rule.kind in ("exclusion", "not_covered") and j.status == UNKNOWN]
    for j in pitfalls[:4]:
        chunk = chunks.get(j.rule.chunk_id)
        if chunk is not None:
            draft.add_bullet("Pitfalls", j.rule.text, chunk)
    for rule in decision.documentation[:4]:
        chunk = chunks.get(rule.chunk_id)
        if chunk is not None:
            draft.add_bullet("Documentation", rule.text, chunk)
    if not draft.has_claims():
        return None
    service = _service_label(decision)
    draft.related += [f"What documentation supports {service}?", f"How often can {service} be repeated?"]
    for other in decision.other_docs[:2]:
        other_record = corpus.get(other)
        if other_record is not None:
            draft.related.append(f"What does {short_title(other_record.meta.title)} require for {service}?")
    del rules
    return draft.build(
        Determination(decision.verdict),
        headline(decision, title),
        retrieved_doc_ids=request.retrieval.doc_ids,
        timings=timings,
    )


def build_information(
    draft: Draft,
    decision: Decision,
    rules: dict[str, list[CompiledRule]],
    request: EngineRequest,
    timings: dict[str, float],
) -> Answer | None:
    """An information question ("what documentation supports 64635?", "how often can it be repeated?"):
    the governing document's documentation rules and frequency limits, with no verdict to show."""
    if decision.doc_id is None:
        return None
    doc_rules = rules.get(decision.doc_id, [])
    judge_ok = {r.rule_id for r in decision.documentation}
    documentation = [r for r in doc_rules if r.rule_id in judge_ok]
    limits = [
        r for r in doc_rules if r.kind == "frequency" and r.rule_id in {j.rule.rule_id for j in decision.judgements}
    ]
    limits += [
        j.rule for j in decision.judgements if j.rule.kind == "requirement" and j.rule.scope.modifiers.get("sequence")
    ]
    chunks = draft.corpus.chunks(dict.fromkeys(r.chunk_id for r in [*documentation, *limits]))
    for rule in documentation[:8]:
        chunk = chunks.get(rule.chunk_id)
        if chunk is not None:
            draft.add_bullet("Documentation", rule.text, chunk)
    for rule in list(dict.fromkeys(limits))[:6]:
        chunk = chunks.get(rule.chunk_id)
        if chunk is not None:
            draft.add_bullet("Frequency and repeat procedures", rule.text, chunk)
    if not draft.has_claims():
        return None
    record = draft.corpus.get(decision.doc_id)
    title = short_title(record.meta.title) if record else decision.doc_id
    service = _service_label(decision)
    draft.related.append(f"Is {service} indicated for this patient?")
    return draft.build(
        Determination(decision.verdict),
        f"What {title} asks for {service}: see the documentation and frequency rules below.",
        retrieved_doc_ids=request.retrieval.doc_ids,
        timings=timings,
        kind="information",
    )
