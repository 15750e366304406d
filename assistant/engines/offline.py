"""The offline answer engine: no LLM, deterministic, decides from structured evidence first.

Order of evidence, strongest first:
1. a rating-table row for the procedure and scenario asked (7-9 indicated, 4-6 conditional,
   1-3 not indicated, scaled to the table's own maximum);
2. the compiled rules of the documents that govern the asked service: the question's typed
   clinical facts judged against each rule's typed condition (:mod:`assistant.engines.rules_answer`);
3. the stance of the most relevant retrieved sentences (a lexical reading, said as such);
4. otherwise ``insufficient_evidence``: the corpus does not cover the question.
"""

from __future__ import annotations

import time

from assistant.compose import Draft, insufficient
from assistant.decide.necessity import STRENGTH_VERDICT
from assistant.decide.rating_rows import (
    RowMatch,
    confident,
    covers_scenario,
    match_rows,
    plausible,
    rating_category,
    rating_determination,
)
from assistant.decide.stance import StanceCount, decide, score, section_weight
from assistant.decide.statements import match_statements
from assistant.engines.base import EngineRequest
from assistant.engines.rules_answer import build_answer, build_information, decide_from_rules, ungoverned_codes
from assistant.query import ParsedQuestion
from assistant.retrieval import Retrieval
from assistant.schema import VERDICT_LABELS, Answer, CriterionStatus, Determination
from assistant.sentences import overlap, split_sentences
from core.records import RatingRow, StoredChunk
from core.textnorm import stem, terms
from core.vocabulary import STOPWORDS

_QUESTION_WORDS = {
    stem(w)
    for w in [
        "appropriate",
        "indicated",
        "medically",
        "necessary",
        "recommended",
        "covered",
        "patient",
        "patients",
        "procedure",
        "procedures",
        "indication",
        "indications",
        "reasonable",
        "warranted",
        "needed",
        "useful",
        "would",
        "should",
        "could",
        "does",
    ]
}
MIN_COVERAGE = 0.5  # share of the question's distinctive terms the evidence must contain
MAX_STANCE_CHUNKS = 40  # narrative chunks of one document read for the stance fallback
MIN_STANCE_WEIGHT = 0.15  # a findings sentence counts a little even when it shares no words with the question
STATEMENT_DOCS = 3  # graded statements are looked for in the best-ranked documents only


def row_claim(row: RatingRow) -> str:
    """A rating row as a claim that is verbatim-checkable against the row's chunk."""
    return f"{row.variant} — {row.procedure}: Rating {row.rating}"


def _distinctive(text: str) -> set[str]:
    return {t for t in terms(text) if t not in _QUESTION_WORDS and t not in STOPWORDS and not t.isdigit()}


class OfflineEngine:
    name = "offline"

    def answer(self, request: EngineRequest) -> Answer:
        started = time.perf_counter()
        q, r, corpus = request.question, request.retrieval, request.corpus
        timings = {"retrieve_ms": round(r.ms, 2)}

        def done(answer: Answer) -> Answer:
            timings["decide_ms"] = round((time.perf_counter() - started) * 1000, 2)
            answer.timings.update(timings)
            return answer

        if not r.hits:
            return done(insufficient(q.text, self.name, retrieved_doc_ids=[], audience=request.audience))
        draft = Draft(corpus, q.text, self.name, request.audience)
        draft.saw([h.chunk for h in r.pool.values()])

        matches = match_rows(q, r.rating_rows, r.rating_tables, r.titles, r.doc_ranks())
        if matches and confident(matches[0]):
            return done(self._from_rating(draft, q, r, matches, timings))
        if matches and plausible(matches[0]):
            # The best document rates procedures, but none matches well: the closest row, said so,
            # beats a sentence-level reading of a rating table's narrative.
            return done(self._from_rating(draft, q, r, matches, timings, weak=True))

        ungoverned = ungoverned_codes(request)
        if ungoverned:
            return done(
                insufficient(
                    q.text,
                    self.name,
                    f"No approved document governs {ungoverned}: the corpus has no policy or guideline for it.",
                    retrieved_doc_ids=r.doc_ids,
                    timings=timings,
                    audience=request.audience,
                )
            )
        typed = decide_from_rules(request)
        if typed is not None and typed[0].doc_id is None and typed[0].ask is not None and typed[0].ask.codes:
            # Codes for a service no approved document governs where asked (a lumbar-only bulletin and a
            # cervical 22551): said so, rather than read from documents about something else.
            return done(
                insufficient(
                    q.text,
                    self.name,
                    f"No approved document governs {', '.join(typed[0].ask.codes)} here: {typed[0].reason}.",
                    retrieved_doc_ids=r.doc_ids,
                    timings=timings,
                    audience=request.audience,
                )
            )
        if typed is not None:
            decision, rules = typed
            facts = request.clinical_facts()
            build = build_information if facts is not None and facts.intent == "information" else build_answer
            typed_answer = build(draft, decision, rules, request, timings)
            if typed_answer is not None:
                return done(typed_answer)
        graded = self._from_statements(draft, q, request, timings)
        if graded is not None:
            return done(graded)
        if matches and covers_scenario(matches[0]):
            # A rating guideline covers the scenario but does not rate what was asked: say so, and
            # show what it does rate, rather than read a verdict into its narrative.
            return done(self._not_rated(draft, q, r, matches, timings))
        return done(self._from_stance(draft, q, r, timings))

    def _not_rated(
        self, draft: Draft, q: ParsedQuestion, r: Retrieval, matches: list[RowMatch], timings: dict[str, float]
    ) -> Answer:
        scenario = matches[0].row.table_id
        rows = sorted((m.row for m in matches if m.row.table_id == scenario), key=lambda x: -x.rating)[:4]
        chunks = draft.corpus.chunks([x.chunk_id for x in rows])
        for row in rows:
            draft.add_bullet("What this guideline rates for the closest scenario", row_claim(row), chunks[row.chunk_id])
        asked = q.procedure or "the procedure asked about"
        headline = (
            f"{matches[0].title} does not rate {asked} for this scenario; the procedures it does rate are listed below."
        )
        if not draft.has_claims():
            return insufficient(
                q.text, self.name, headline, retrieved_doc_ids=r.doc_ids, timings=timings, audience=draft.audience
            )
        return draft.build(Determination.insufficient_evidence, headline, retrieved_doc_ids=r.doc_ids, timings=timings)

    # ------------------------------------------------------------- rating rows
    def _from_rating(
        self,
        draft: Draft,
        q: ParsedQuestion,
        r: Retrieval,
        matches: list[RowMatch],
        timings: dict[str, float],
        *,
        weak: bool = False,
    ) -> Answer:
        best = matches[0]
        row = best.row
        corpus = draft.corpus
        doc_chunks = {c.chunk_id: c for c in corpus.doc_chunks(row.doc_id)}
        draft.saw(list(doc_chunks.values()))
        chunk = doc_chunks[row.chunk_id]
        determination = rating_determination(row.rating, row.scale_max)

        # The scenario is the rated variant closest to the question's wording: shown as what was rated, never
        # judged "met" (no typed fact decided it); a loose match is a criterion to confirm.
        draft.add_bullet("Scenario rated", row.variant, chunk)
        if best.scenario_score < 0.5:
            draft.add_criterion(
                row.variant,
                CriterionStatus.unknown,
                "closest scenario to the question's findings (weak match: confirm it applies)",
                chunk,
            )
        if weak:
            draft.add_criterion(
                row.procedure,
                CriterionStatus.unknown,
                "closest procedure this guideline rates; the question's wording matched it only loosely",
                chunk,
            )
        draft.add_bullet("Evidence", row_claim(row), chunk)
        if row.comment:
            draft.add_bullet("Evidence", f"Comments: {row.comment}", chunk)
        self._narrative(draft, q, row, doc_chunks)

        same_table = [m.row for m in matches if m.row.table_id == row.table_id and m.row.chunk_id != row.chunk_id]
        better = sorted(
            (
                x
                for x in same_table
                if x.rating > row.rating and rating_determination(x.rating, x.scale_max) == Determination.indicated
            ),
            key=lambda x: -x.rating,
        )[:3]
        for alt in better:
            draft.add_bullet("Alternatives / next steps", row_claim(alt), doc_chunks[alt.chunk_id])
            draft.related.append(f"Is {alt.procedure} appropriate for {row.variant.rstrip('.')}?")

        # The same procedure in the nearest other scenario, when its verdict differs: a pitfall.
        for m in matches[1:8]:
            other = m.row
            if other.table_id != row.table_id and m.procedure_score >= best.procedure_score - 1e-6:
                if rating_determination(other.rating, other.scale_max) != determination:
                    other_chunk = corpus.chunks([other.chunk_id]).get(other.chunk_id)
                    if other_chunk is not None and draft.add_bullet("Pitfalls", row_claim(other), other_chunk):
                        draft.related.append(f"Is {other.procedure} appropriate for {other.variant.rstrip('.')}?")
                break
        headline = (
            f"{VERDICT_LABELS[determination]}: {row.procedure} is rated {row.rating} of {row.scale_max} "
            f"({rating_category(row.rating, row.scale_max)}) for this scenario in {best.title}."
        )
        if weak:
            headline = f"{headline} Closest match only: confirm the procedure and scenario below."
        return draft.build(determination, headline, retrieved_doc_ids=r.doc_ids, timings=timings)

    def _narrative(self, draft: Draft, q: ParsedQuestion, row: RatingRow, chunks: dict[str, StoredChunk]) -> None:
        """Up to two sentences from the document's narrative about the procedure asked."""
        wanted = set(terms(row.procedure)) | (set(terms(q.procedure or "")) - {"contrast", "without", "with"})
        if not wanted:
            return
        indexed = draft.corpus.chunk_terms(row.doc_id)
        scored: list[tuple[float, str, StoredChunk]] = []
        for chunk in chunks.values():
            # Only chunks whose indexed terms already cover half the procedure are split into sentences.
            if chunk.kind != "text" or len(wanted & indexed.get(chunk.chunk_id, frozenset())) < len(wanted) / 2:
                continue
            for sentence in split_sentences(chunk.text):
                s = overlap(wanted, sentence)
                if s >= 0.5 and len(sentence) <= 400:
                    scored.append((s + 0.2 * overlap(set(terms(q.context)), sentence), sentence, chunk))
        scored.sort(key=lambda x: -x[0])
        for _, sentence, chunk in scored[:2]:
            draft.add_bullet("Evidence", sentence, chunk)

    # ---------------------------------------------------------- graded statements
    def _from_statements(
        self, draft: Draft, q: ParsedQuestion, request: EngineRequest, timings: dict[str, float]
    ) -> Answer | None:
        """The verdict of the graded recommendation that names what was asked (no typed service needed)."""
        r = request.retrieval
        doc_ids = r.doc_ids[:STATEMENT_DOCS]
        rules = [rule for d in doc_ids for rule in draft.corpus.rules([d]).get(d, [])]
        found = match_statements(_distinctive(q.retrieval_text), rules, r.doc_ranks())
        if not found:
            return None
        best = found[0]
        chunks = draft.corpus.chunks({m.rule.chunk_id for m in found[:4]})
        chunk = chunks.get(best.rule.chunk_id)
        if chunk is None or not draft.add_bullet("Recommendation", best.rule.text, chunk):
            return None
        for other in found[1:4]:
            other_chunk = chunks.get(other.rule.chunk_id)
            if other_chunk is not None and other.rule.strength != best.rule.strength:
                draft.add_bullet("Other recommendations on the same topic", other.rule.text, other_chunk)
        verdict = Determination(STRENGTH_VERDICT[best.rule.strength or "conditional"])
        record = draft.corpus.get(best.rule.doc_id)
        title = record.meta.title if record else best.rule.doc_id
        grade = f" ({best.rule.grade})" if best.rule.grade else ""
        said = {
            "for": "recommends it",
            "conditional": "recommends it only conditionally",
            "against": "recommends against it",
            "insufficient": "finds the evidence insufficient",
        }[best.rule.strength or "conditional"]
        headline = f"{VERDICT_LABELS[verdict]}: {title} {said}{grade}."
        return draft.build(verdict, headline, retrieved_doc_ids=r.doc_ids, timings=timings)

    # ------------------------------------------------------------------ stance
    def _covers(self, q: ParsedQuestion, texts: list[str]) -> bool:
        wanted = _distinctive(q.retrieval_text)
        if not wanted:
            return False
        have: set[str] = set()
        for t in texts:
            have |= set(terms(t))
        return len(wanted & have) / len(wanted) >= MIN_COVERAGE

    @staticmethod
    def _names_procedure(q: ParsedQuestion, chunk_terms: dict[str, frozenset[str]]) -> bool:
        """The document names the procedure asked about (at least half its distinctive words): a reading of
        sentences about something else ("chronic pain", "covered") is no evidence for this procedure."""
        wanted = _distinctive(q.procedure or "")
        if not wanted:
            return True
        have: set[str] = set().union(*chunk_terms.values()) if chunk_terms else set()
        return len(wanted & have) / len(wanted) >= MIN_COVERAGE

    def _from_stance(self, draft: Draft, q: ParsedQuestion, r: Retrieval, timings: dict[str, float]) -> Answer:
        ranked = sorted(r.pool.values(), key=lambda h: -h.score)
        chunks: list[StoredChunk] = []
        for doc_id in r.doc_ids[:3]:  # the first well-ranked document that covers the question
            candidate = [h.chunk for h in ranked if h.doc_id == doc_id][:8]
            if self._covers(q, [c.text for c in candidate] + [c.section for c in candidate]) and self._names_procedure(
                q, draft.corpus.chunk_terms(doc_id)
            ):
                # Read the whole document's narrative: its findings may share few words with the question.
                chunks = [c for c in draft.corpus.doc_chunks(doc_id) if c.kind == "text"][:MAX_STANCE_CHUNKS]
                draft.saw(chunks)
                break
        if not chunks:
            return insufficient(
                q.text, self.name, retrieved_doc_ids=r.doc_ids, timings=timings, audience=draft.audience
            )
        q_terms = _distinctive(q.retrieval_text)
        candidates: list[tuple[float, str, StoredChunk]] = []
        for chunk in chunks:
            reports_findings = section_weight(chunk.section) == 1.0
            for sentence in split_sentences(chunk.text):
                rel = overlap(q_terms, sentence)
                if rel > 0 or reports_findings:
                    candidates.append((rel, sentence, chunk))
        candidates.sort(key=lambda x: -x[0])
        counts = StanceCount()
        used = 0
        for rel, sentence, chunk in candidates[:20]:
            s = score(sentence, weight=max(rel, MIN_STANCE_WEIGHT) * section_weight(chunk.section))
            if s.support or s.against:
                counts.support += s.support
                counts.against += s.against
                counts.hedge += s.hedge
                if used < 4 and draft.add_bullet("Evidence", sentence, chunk):
                    used += 1
        for _, sentence, chunk in candidates[:2]:
            if used < 2 and draft.add_bullet("Evidence", sentence, chunk):
                used += 1
        if not draft.has_claims():
            return insufficient(
                q.text, self.name, retrieved_doc_ids=r.doc_ids, timings=timings, audience=draft.audience
            )
        determination = decide(counts)
        lean = {
            Determination.indicated: "the cited evidence mostly supports it",
            Determination.not_indicated: "the cited evidence mostly reports no benefit or advises against it",
            Determination.conditional: "the cited sentences do not settle it either way",
        }[determination]
        headline = f"{VERDICT_LABELS[determination]}: {lean} (a reading of the sentences below, not a rated guideline)."
        for doc_id in r.doc_ids[1:3]:
            record = draft.corpus.get(doc_id)
            if record is not None:
                draft.related.append(f"What does “{record.meta.title}” recommend for this patient?")
        return draft.build(determination, headline, retrieved_doc_ids=r.doc_ids, timings=timings)
