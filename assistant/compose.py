"""Assemble a validated ``Answer`` from the engine's choices.

Engines say *what* to cite (a chunk and a verbatim sentence from it); the :class:`Draft` turns that
into numbered references, drops any claim its chunk does not support, numbers references in order
of first use and validates the result against the chunks it read. A draft that still fails
validation becomes an ``insufficient_evidence`` answer: an unchecked claim is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from assistant.corpus import CorpusReader
from assistant.schema import (
    Answer,
    Bullet,
    CriterionCheck,
    CriterionStatus,
    Determination,
    Reference,
    Section,
)
from assistant.support import quote_in, supports
from core.records import DocRecord, StoredChunk

NOT_COVERED = "The approved guideline corpus does not cover this question."


@dataclass
class _Ref:
    chunk: StoredChunk
    quote: str


@dataclass
class Draft:
    corpus: CorpusReader  # read-only: the exact revision each reference cites
    question: str
    engine: str
    audience: str = "physician"
    criteria: list[tuple[CriterionCheck, StoredChunk | None]] = field(default_factory=list)
    sections: dict[str, list[tuple[str, StoredChunk]]] = field(default_factory=dict)
    related: list[str] = field(default_factory=list)
    read: dict[str, StoredChunk] = field(default_factory=dict)  # every chunk the engine read
    dropped: list[str] = field(default_factory=list)

    def saw(self, chunks: list[StoredChunk]) -> None:
        for c in chunks:
            self.read[c.chunk_id] = c

    def add_criterion(
        self,
        text: str,
        status: CriterionStatus,
        reason: str,
        chunk: StoredChunk | None,
        *,
        rule_id: str | None = None,
        kind: str | None = None,
        facts: list[str] | None = None,
    ) -> bool:
        """Add a judged criterion if its chunk supports its text; returns whether it was kept."""
        if chunk is not None:
            self.read[chunk.chunk_id] = chunk
            if not supports(text, chunk.text):
                self.dropped.append(text)
                return False
        check = CriterionCheck(
            criterion=text, status=status, reason=reason, rule_id=rule_id, kind=kind, facts=facts or []
        )
        self.criteria.append((check, chunk))
        return True

    def add_bullet(self, section: str, text: str, chunk: StoredChunk) -> bool:
        """Add a claim under a section if its chunk supports it; returns whether it was kept."""
        self.read[chunk.chunk_id] = chunk
        bullets = self.sections.setdefault(section, [])
        if any(t == text for t, _ in bullets):
            return False
        if not supports(text, chunk.text):
            self.dropped.append(text)
            return False
        bullets.append((text, chunk))
        return True

    def has_claims(self) -> bool:
        return any(self.sections.values()) or any(c is not None for _, c in self.criteria)

    # ------------------------------------------------------------------ build
    def _record(self, chunk: StoredChunk, cache: dict[tuple[str, int], DocRecord]) -> DocRecord:
        """The exact revision a chunk belongs to (its id names one), so references say ``doc_id@rev``."""
        key = (chunk.doc_id, chunk.rev)
        if key not in cache:
            record = self.corpus.revision(chunk.doc_id, chunk.rev)
            if record is None:
                raise KeyError(f"document {chunk.doc_id}@{chunk.rev} is no longer indexed")
            cache[key] = record
        return cache[key]

    def build(
        self,
        determination: Determination,
        headline: str,
        *,
        retrieved_doc_ids: list[str],
        timings: dict[str, float],
        kind: str = "necessity",
    ) -> Answer:
        order: dict[str, int] = {}
        refs: list[_Ref] = []

        def number(chunk: StoredChunk, quote: str) -> int:
            if chunk.chunk_id not in order:
                if chunk.kind == "table_row" and len(chunk.text.splitlines()) > 1:
                    quote = chunk.text.splitlines()[1]  # the row itself, under its caption line
                refs.append(_Ref(chunk, quote if quote_in(quote, chunk.text) else chunk.text))
                order[chunk.chunk_id] = len(refs)
            return order[chunk.chunk_id]

        criteria = []
        for check, chunk in self.criteria:
            cites = [number(chunk, check.criterion)] if chunk is not None else []
            criteria.append(check.model_copy(update={"citations": cites}))
        sections = []
        for title, items in self.sections.items():
            if items:
                sections.append(
                    Section(title=title, bullets=[Bullet(text=t, citations=[number(c, t)]) for t, c in items])
                )
        records: dict[tuple[str, int], DocRecord] = {}
        references = []
        for i, ref in enumerate(refs, start=1):
            record = self._record(ref.chunk, records)
            meta = record.meta
            references.append(
                Reference(
                    number=i,
                    doc_id=meta.doc_id,
                    title=meta.title,
                    publisher=meta.publisher,
                    year=meta.year,
                    version=meta.version,
                    status=str(meta.status),
                    revision=record.rev,
                    updated=(record.updated_at or record.ingested_at)[:10] or None,
                    source_url=meta.source_url,
                    chunk_id=ref.chunk.chunk_id,
                    section=ref.chunk.section,
                    quote=ref.quote,
                )
            )
        data = {
            "question": self.question,
            "kind": kind,
            "determination": determination,
            "headline": headline,
            "criteria": criteria,
            "sections": sections,
            "references": references,
            "related_questions": list(dict.fromkeys(self.related))[:5],
            "engine": self.engine,
            "audience": self.audience,
            "retrieved_doc_ids": retrieved_doc_ids,
            "timings": timings,
        }
        context = {"chunks": {cid: c.text for cid, c in self.read.items()}}
        try:
            return Answer.model_validate(data, context=context)
        except ValidationError as exc:
            return insufficient(
                self.question,
                self.engine,
                f"No answer could be verified against its sources ({exc.errors()[0]['msg']}).",
                retrieved_doc_ids=retrieved_doc_ids,
                timings=timings,
                audience=self.audience,
            )


def insufficient(
    question: str,
    engine: str,
    headline: str = NOT_COVERED,
    *,
    retrieved_doc_ids: list[str] | None = None,
    timings: dict[str, float] | None = None,
    related: list[str] | None = None,
    audience: str = "physician",
) -> Answer:
    return Answer(
        question=question,
        determination=Determination.insufficient_evidence,
        headline=headline,
        engine=engine,
        audience=audience,  # type: ignore[arg-type]
        retrieved_doc_ids=retrieved_doc_ids or [],
        timings=timings or {},
        related_questions=related or [],
    )
