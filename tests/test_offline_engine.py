"""The offline engine assembling answers from hand-made records, through an in-memory corpus reader.

No Chroma, no embedding model, no manifest: :class:`FakeCorpus` is a fake for a logic unit test.
It holds a few records in dictionaries and answers the :class:`assistant.corpus.CorpusReader`
read methods from them, and the retrieval result is built by hand, as retrieval would return it.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.clinical.facts import extract_facts
from assistant.corpus import CorpusReader
from assistant.engines.base import EngineRequest
from assistant.engines.offline import OfflineEngine
from assistant.query import parse_question
from assistant.retrieval import Hit, Retrieval
from assistant.schema import Answer, CriterionStatus, Determination
from core.records import DocRecord, DocumentMeta, RatingRow, RatingTable, Status, StoredChunk
from core.rules import CodeFact, CompiledRule
from core.textnorm import terms
from ingest.compile import Statement, compile_statements
from store.manifest import Manifest

TITLE = "Low back pain imaging (hand-made)"
ACUTE = "Variant 1: Acute low back pain, no red flags. Initial imaging."
CANCER = "Variant 2: Low back pain with suspected cancer, infection or immunosuppression. Initial imaging."


class FakeCorpus:
    """A fake CorpusReader for a logic unit test: records held in memory, nothing read from disk."""

    def __init__(self, records: list[DocRecord], chunks: list[StoredChunk], rules: list[CompiledRule]) -> None:
        self.records = {r.doc_id: r for r in records}
        self.by_id = {c.chunk_id: c for c in chunks}
        self.rule_records = rules

    def get(self, doc_id: str) -> DocRecord | None:
        return self.records.get(doc_id)

    def revision(self, doc_id: str, rev: int) -> DocRecord | None:
        record = self.records.get(doc_id)
        return record if record is not None and record.rev == rev else None

    def chunks(self, ids: Iterable[str]) -> dict[str, StoredChunk]:
        return {i: self.by_id[i] for i in ids if i in self.by_id}

    def doc_chunks(self, doc_id: str) -> list[StoredChunk]:
        return sorted((c for c in self.by_id.values() if c.doc_id == doc_id), key=lambda c: c.ordinal)

    def chunk_terms(self, doc_id: str) -> dict[str, frozenset[str]]:
        return {c.chunk_id: frozenset(terms(c.text)) for c in self.doc_chunks(doc_id)}

    def rules(self, doc_ids: Iterable[str]) -> dict[str, list[CompiledRule]]:
        wanted = set(doc_ids)
        out: dict[str, list[CompiledRule]] = {}
        for rule in self.rule_records:
            if rule.doc_id in wanted:
                out.setdefault(rule.doc_id, []).append(rule)
        return out

    def docs_governing(self, services: Iterable[str]) -> list[str]:
        wanted = set(services)
        return sorted({r.doc_id for r in self.rule_records if wanted & set(r.scope.services)})

    def code_facts(self, codes: Iterable[str]) -> list[CodeFact]:
        return []


def _record(doc_id: str, title: str, n_chunks: int) -> DocRecord:
    meta = DocumentMeta(doc_id=doc_id, title=title, publisher="Hand-made Society", year=2024, status=Status.approved)
    return DocRecord(meta, f"{doc_id}.md", "0" * 64, n_chunks, "2024-05-01T00:00:00+00:00", rev=1, served=True)


def _chunk(doc_id: str, n: int, kind: str, section: str, text: str) -> StoredChunk:
    return StoredChunk(f"{doc_id}::{n:05d}::h", doc_id, n, kind, section, text)


# ---------------------------------------------------------------------- a rating guideline
ROW_CHUNKS = [
    _chunk("lbp", 0, "text", "Imaging", "MRI lumbar spine without IV contrast shows marrow replacement by tumour."),
    _chunk("lbp", 1, "table_row", "Ratings", f"{ACUTE}\nProcedure: MRI lumbar spine without IV contrast | Rating: 2"),
    _chunk("lbp", 2, "table_row", "Ratings", f"{CANCER}\nProcedure: MRI lumbar spine without IV contrast | Rating: 8"),
    _chunk(
        "lbp",
        3,
        "table_row",
        "Ratings",
        f"{CANCER}\nProcedure: MRI lumbar spine without and with IV contrast | Rating: 9 | Comments: Preferred.",
    ),
]
TABLES = [RatingTable("lbp::t000", "lbp", ACUTE), RatingTable("lbp::t001", "lbp", CANCER)]
ROWS = [
    RatingRow(
        "lbp", ROW_CHUNKS[1].chunk_id, "lbp::t000", ACUTE, None, "MRI lumbar spine without IV contrast", 2, 9, ""
    ),
    RatingRow(
        "lbp", ROW_CHUNKS[2].chunk_id, "lbp::t001", CANCER, None, "MRI lumbar spine without IV contrast", 8, 9, ""
    ),
    RatingRow(
        "lbp",
        ROW_CHUNKS[3].chunk_id,
        "lbp::t001",
        CANCER,
        None,
        "MRI lumbar spine without and with IV contrast",
        9,
        9,
        "Preferred.",
    ),
]


def _retrieval(chunks: list[StoredChunk], doc_id: str, **extra: object) -> Retrieval:
    hits = [Hit(c, 1.0 / (i + 1), i, i) for i, c in enumerate(chunks)]
    return Retrieval(hits=hits, docs=[(doc_id, 0.1)], pool={h.chunk_id: h for h in hits}, ms=1.0, **extra)


def _answer(corpus: CorpusReader, question: str, retrieval: Retrieval) -> Answer:
    return OfflineEngine().answer(EngineRequest(parse_question(question), retrieval, corpus))


def test_the_offline_engine_answers_from_the_rating_row_the_reader_and_retrieval_hand_it():
    corpus = FakeCorpus([_record("lbp", TITLE, len(ROW_CHUNKS))], ROW_CHUNKS, [])
    retrieval = _retrieval(
        ROW_CHUNKS,
        "lbp",
        rating_rows=ROWS,
        rating_tables=[(TABLES[0], 0.55), (TABLES[1], 0.8)],
        titles={"lbp": TITLE},
    )
    answer = _answer(
        corpus, "Is MRI lumbar spine without contrast appropriate for low back pain with suspected cancer?", retrieval
    )
    assert answer.determination == Determination.indicated
    assert answer.headline == (
        "Indicated: MRI lumbar spine without IV contrast is rated 8 of 9 (usually appropriate) for this scenario "
        f"in {TITLE}."
    )
    evidence = next(s for s in answer.sections if s.title == "Evidence")
    assert evidence.bullets[0].text == f"{CANCER} — MRI lumbar spine without IV contrast: Rating 8"
    # the scenario is matched by wording, not judged from typed facts: shown as the scenario rated, never "met"
    scenario = next(s for s in answer.sections if s.title == "Scenario rated")
    assert scenario.bullets[0].text == CANCER
    assert all(c.status == CriterionStatus.unknown for c in answer.criteria)
    ref = answer.references[0]
    assert (ref.chunk_id, ref.cited_as, ref.title) == (ROW_CHUNKS[2].chunk_id, "lbp@1", TITLE)
    alternatives = next(s for s in answer.sections if s.title == "Alternatives / next steps")
    assert "Rating 9" in alternatives.bullets[0].text
    # the same procedure rated differently in the other scenario is a pitfall
    pitfalls = next(s for s in answer.sections if s.title == "Pitfalls")
    assert pitfalls.bullets[0].text == f"{ACUTE} — MRI lumbar spine without IV contrast: Rating 2"
    assert answer.engine == "offline" and answer.timings["retrieve_ms"] == 1.0


# ------------------------------------------------------------------- a criteria policy
POLICY = "Facet joint interventions (hand-made)"
POLICY_CHUNKS = [
    _chunk(
        "facet",
        0,
        "text",
        "Indications › Radiofrequency ablation (64633-64636)",
        "- Radiofrequency ablation requires pain present for at least 3 months despite conservative care.\n"
        "- Radiofrequency ablation requires two medial branch blocks, each giving at least 80% relief.",
    ),
    _chunk(
        "facet",
        1,
        "text",
        "Limitations › Radiofrequency ablation (64633-64636)",
        "- Radiofrequency ablation is not covered at a level with a prior spinal fusion.",
    ),
]
CODES = ["64633", "64634", "64635", "64636"]


def _policy_rules() -> list[CompiledRule]:
    """The hand-made policy's list items compiled exactly as ingest compiles them (real lexicon, no store)."""
    statements = []
    for chunk in POLICY_CHUNKS:
        section = ["Facet joint interventions", *chunk.section.split(" › ")]
        codes = CODES if "64633" in chunk.section else []
        for line in chunk.text.splitlines():
            statements.append(Statement(line.lstrip("- "), section, codes, chunk.chunk_id))
    return compile_statements("facet", POLICY, statements)


def _facts_request(corpus: CorpusReader, question: str, retrieval: Retrieval) -> Answer:
    return OfflineEngine().answer(
        EngineRequest(parse_question(question), retrieval, corpus, facts=extract_facts(question))
    )


def test_the_offline_engine_judges_a_policys_compiled_rules_through_the_reader():
    corpus = FakeCorpus([_record("facet", POLICY, len(POLICY_CHUNKS))], POLICY_CHUNKS, _policy_rules())
    retrieval = _retrieval(POLICY_CHUNKS, "facet", code_docs={"facet": {"64635"}})
    ruled_out = _facts_request(
        corpus,
        "Is 64635 indicated for axial low back pain for 6 months despite physical therapy, after two medial branch "
        "blocks at L4-5 with 90% relief each, when he had an L4-5 fusion and the ablation is planned at L4-5?",
        retrieval,
    )
    assert ruled_out.determination == Determination.not_indicated
    fusion = next(c for c in ruled_out.criteria if "fusion" in c.criterion)
    assert fusion.status == CriterionStatus.not_met and fusion.kind == "exclusion" and fusion.facts
    assert {r.cited_as for r in ruled_out.references} == {"facet@1"}

    met = _facts_request(
        corpus,
        "Is 64635 indicated for axial low back pain for 6 months despite physical therapy, after two medial branch "
        "blocks at L4-5 with 90% relief each, with no prior spinal fusion, planned at L4-5?",
        retrieval,
    )
    assert met.determination == Determination.indicated
    assert [c.status for c in met.criteria] == [CriterionStatus.met] * len(met.criteria) and len(met.criteria) == 3
    assert all(c.rule_id and c.facts for c in met.criteria)

    unknown = _facts_request(corpus, "Is 64635 indicated for lumbar facet pain?", retrieval)
    assert unknown.determination == Determination.conditional
    assert any(s.title == "What to document" for s in unknown.sections)


def test_nothing_retrieved_is_insufficient_evidence_and_the_manifest_is_a_corpus_reader(tmp_path):
    answer = _answer(FakeCorpus([], [], []), "Is MRI appropriate?", Retrieval(hits=[], docs=[]))
    assert answer.determination == Determination.insufficient_evidence and not answer.references
    manifest = Manifest(tmp_path / "manifest.sqlite")
    try:
        assert isinstance(manifest, CorpusReader)
    finally:
        manifest.close()
    assert isinstance(FakeCorpus([], [], []), CorpusReader)
