"""Hybrid retrieval: dense (vector store) + BM25, fused by reciprocal rank, served (approved) revisions only.

Documents whose metadata lists a CPT/HCPCS/ICD-10-CM code named in the question are boosted:
a physician who writes "64635" means the policy that governs 64635.

Retrieval is the one step of answering that reads the store's backends (vectors, BM25, the
embedder). It also gathers what the rating-row matcher needs as plain records: the rating rows and
tables of the best documents, each table with the dense similarity of its caption to the
question's clinical context, and the documents' titles; engines read everything else through a
:class:`assistant.corpus.CorpusReader`.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from assistant.query import ParsedQuestion
from core.records import RatingRow, RatingTable, StoredChunk
from core.textnorm import terms
from store.store import Store

CODE_BOOST_RANKS = 2.0  # a code match is worth this many first-place votes
_EMBED_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guideqa-embed")


@dataclass
class Hit:
    chunk: StoredChunk
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None

    @property
    def chunk_id(self) -> str:
        return self.chunk.chunk_id

    @property
    def doc_id(self) -> str:
        return self.chunk.doc_id


@dataclass
class Retrieval:
    hits: list[Hit]  # fused, best first (top_k)
    docs: list[tuple[str, float]]  # documents, best first
    code_docs: dict[str, set[str]] = field(default_factory=dict)  # doc -> matched codes
    query_vector: np.ndarray | None = None
    context_vector: np.ndarray | None = None
    pool: dict[str, Hit] = field(default_factory=dict)  # every fused candidate, by chunk id
    ms: float = 0.0
    # The rating evidence of the best ``top_docs`` documents, for the rating-row matcher:
    rating_rows: list[RatingRow] = field(default_factory=list)
    # ... their tables, each with the dense similarity of its caption to the clinical context,
    rating_tables: list[tuple[RatingTable, float]] = field(default_factory=list)
    # ... and the titles of those documents (gathered only when they rate something).
    titles: dict[str, str] = field(default_factory=dict)

    @property
    def doc_ids(self) -> list[str]:
        return [d for d, _ in self.docs]

    def doc_ranks(self) -> dict[str, int]:
        """Each retrieved document's rank, 0 for the best."""
        return {d: i for i, (d, _) in enumerate(self.docs)}

    def doc_rank(self, doc_id: str) -> int | None:
        for i, (d, _) in enumerate(self.docs):
            if d == doc_id:
                return i
        return None


def retrieve(store: Store, question: ParsedQuestion) -> Retrieval:
    started = time.perf_counter()
    settings = store.settings
    text = question.retrieval_text
    embedder = store.embedder
    context_text = question.context or question.text
    # The clinical context (for scenario matching) is embedded on a second core while the question's
    # vector is searched in Chroma and BM25 runs: torch and Chroma's Rust core both release the GIL.
    context_job = _EMBED_POOL.submit(embedder.embed, [context_text]) if context_text != text else None
    vector = embedder.embed([text])[0]
    dense = store.vectors.query(vector, settings.dense_k, status="approved")
    sparse = store.keywords.search(terms(text), settings.bm25_k)
    context_vector = context_job.result()[0] if context_job is not None else vector

    fused: dict[str, float] = {}
    dense_rank: dict[str, int] = {}
    bm25_rank: dict[str, int] = {}
    for rank, (cid, _) in enumerate(dense):
        fused[cid] = fused.get(cid, 0.0) + 1.0 / (settings.rrf_k + rank + 1)
        dense_rank[cid] = rank
    for rank, (cid, _) in enumerate(sparse):
        fused[cid] = fused.get(cid, 0.0) + 1.0 / (settings.rrf_k + rank + 1)
        bm25_rank[cid] = rank

    # Served revisions only, decided by the manifest query itself: a vector the manifest does not
    # list, or one of a revision not (or no longer) served, never reaches the answer.
    code_docs = store.manifest.docs_with_codes(
        [*question.cpt, *question.hcpcs, *(c for c, _ in question.icd10)], served=True
    )
    chunks = store.manifest.chunks(fused, served=True)
    # A document that talks to the answer engine ("ignore previous instructions...") never answers.
    excluded = store.engine_addressed_docs()
    if excluded:
        code_docs = {d: c for d, c in code_docs.items() if d not in excluded}
        chunks = {cid: c for cid, c in chunks.items() if c.doc_id not in excluded}
    for doc_id, codes in code_docs.items():
        boost = CODE_BOOST_RANKS * len(codes) / (settings.rrf_k + 1)
        for cid, chunk in chunks.items():
            if chunk.doc_id == doc_id:
                fused[cid] += boost
        if not any(c.doc_id == doc_id for c in chunks.values()):
            # A code-matched document that neither retriever found still enters, by its best chunk.
            best = _best_chunk_of(store, doc_id, question)
            if best is not None:
                chunks[best.chunk_id] = best
                fused[best.chunk_id] = boost

    pool = {
        cid: Hit(chunks[cid], score, dense_rank.get(cid), bm25_rank.get(cid))
        for cid, score in fused.items()
        if cid in chunks
    }
    ranked = sorted(pool.values(), key=lambda h: -h.score)
    docs = _rank_documents(pool, code_docs, settings.rrf_k)
    rows, tables, titles = _rating_evidence(store, [d for d, _ in docs][: settings.top_docs], context_vector)
    return Retrieval(
        hits=ranked[: settings.top_k],
        docs=docs,
        code_docs=code_docs,
        query_vector=vector,
        context_vector=context_vector,
        pool=pool,
        ms=(time.perf_counter() - started) * 1000,
        rating_rows=rows,
        rating_tables=tables,
        titles=titles,
    )


def _rating_evidence(
    store: Store, doc_ids: list[str], context_vector: np.ndarray
) -> tuple[list[RatingRow], list[tuple[RatingTable, float]], dict[str, str]]:
    """The rating rows and tables of these documents (tables scored against the context) and their titles."""
    rows = store.manifest.rating_rows(doc_ids)
    if not rows:
        return [], [], {}
    tables = [
        (table, float(v @ context_vector) if v is not None else 0.0)
        for table, v in store.manifest.rating_tables(doc_ids)
    ]
    records = {d: store.manifest.get(d) for d in doc_ids}
    titles = {d: record.meta.title for d, record in records.items() if record}
    return rows, tables, titles


def _rank_documents(pool: dict[str, Hit], code_docs: dict[str, set[str]], rrf_k: int) -> list[tuple[str, float]]:
    """Documents ranked by reciprocal-rank fusion of their best chunk in each retriever.

    Pooling per retriever first (a document's best dense rank, its best BM25 rank) keeps a document
    with many middling chunks, such as a long rating table, from outvoting the one chunk that answers.
    """
    best: dict[str, dict[str, int]] = {}
    for hit in pool.values():
        ranks = best.setdefault(hit.doc_id, {})
        for name, rank in (("dense", hit.dense_rank), ("bm25", hit.bm25_rank)):
            if rank is not None and rank < ranks.get(name, 10**9):
                ranks[name] = rank
    scores: dict[str, float] = {}
    for name in ("dense", "bm25"):
        ordered = sorted((r[name], d) for d, r in best.items() if name in r)
        for position, (_, doc_id) in enumerate(ordered):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (rrf_k + position + 1)
    for doc_id, codes in code_docs.items():
        if doc_id in best:
            scores[doc_id] = scores.get(doc_id, 0.0) + CODE_BOOST_RANKS * len(codes) / (rrf_k + 1)
    return sorted(scores.items(), key=lambda x: -x[1])


def _best_chunk_of(store: Store, doc_id: str, question: ParsedQuestion) -> StoredChunk | None:
    wanted = set(terms(question.retrieval_text))
    best: tuple[int, StoredChunk] | None = None
    for chunk in store.manifest.doc_chunks(doc_id):
        overlap = len(wanted & set(terms(chunk.text)))
        if best is None or overlap > best[0]:
            best = (overlap, chunk)
    return best[1] if best else None
