"""What an answer engine may read from the corpus: a small, read-only interface.

Engines and :class:`assistant.compose.Draft` never receive the :class:`store.store.Store`: they
read chunks, compiled rules, code facts and document records through a :class:`CorpusReader`. The store's
:class:`store.manifest.Manifest` satisfies it structurally (the service passes it, inside one read
snapshot per question); a test can pass a few records held in memory instead. The decide modules
(:mod:`assistant.decide`) read nothing at all: they take plain records.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from core.records import DocRecord, StoredChunk
from core.rules import CodeFact, CompiledRule


@runtime_checkable
class CorpusReader(Protocol):
    """The read methods engines use, exactly; nothing here writes."""

    def get(self, doc_id: str) -> DocRecord | None:
        """The document's served revision, else its newest one; None when unknown."""
        ...

    def revision(self, doc_id: str, rev: int) -> DocRecord | None:
        """One stored revision of a document (references name ``doc_id@rev``)."""
        ...

    def chunks(self, ids: Iterable[str]) -> dict[str, StoredChunk]:
        """Chunks by id (ids name one revision)."""
        ...

    def doc_chunks(self, doc_id: str) -> list[StoredChunk]:
        """The chunks of the revision readers see, in document order."""
        ...

    def chunk_terms(self, doc_id: str) -> dict[str, frozenset[str]]:
        """Each chunk's indexed terms (computed at ingest), to pre-select chunks cheaply."""
        ...

    def rules(self, doc_ids: Iterable[str]) -> dict[str, list[CompiledRule]]:
        """The compiled rules of these documents' current revisions, each document's in its order."""
        ...

    def docs_governing(self, services: Iterable[str]) -> list[str]:
        """Served documents with a compiled rule whose scope names one of these service concepts."""
        ...

    def code_facts(self, codes: Iterable[str]) -> list[CodeFact]:
        """What the served documents' code tables say these billing codes are."""
        ...


class WithoutDocs:
    """A :class:`CorpusReader` that hides some documents (those addressed to the engine, see
    :mod:`core.instructions`): their records, chunks, rules and code facts are simply not there."""

    def __init__(self, reader: CorpusReader, hidden: frozenset[str]) -> None:
        self._reader = reader
        self._hidden = hidden

    def get(self, doc_id: str) -> DocRecord | None:
        return None if doc_id in self._hidden else self._reader.get(doc_id)

    def revision(self, doc_id: str, rev: int) -> DocRecord | None:
        return None if doc_id in self._hidden else self._reader.revision(doc_id, rev)

    def chunks(self, ids: Iterable[str]) -> dict[str, StoredChunk]:
        return {cid: c for cid, c in self._reader.chunks(ids).items() if c.doc_id not in self._hidden}

    def doc_chunks(self, doc_id: str) -> list[StoredChunk]:
        return [] if doc_id in self._hidden else self._reader.doc_chunks(doc_id)

    def chunk_terms(self, doc_id: str) -> dict[str, frozenset[str]]:
        return {} if doc_id in self._hidden else self._reader.chunk_terms(doc_id)

    def rules(self, doc_ids: Iterable[str]) -> dict[str, list[CompiledRule]]:
        return self._reader.rules([d for d in doc_ids if d not in self._hidden])

    def docs_governing(self, services: Iterable[str]) -> list[str]:
        return [d for d in self._reader.docs_governing(services) if d not in self._hidden]

    def code_facts(self, codes: Iterable[str]) -> list[CodeFact]:
        return [f for f in self._reader.code_facts(codes) if f.doc_id not in self._hidden]
