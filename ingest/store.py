"""The store: manifest, vector store, BM25 index and embedder of one data directory, opened together.

Backends are built here, in one place, from the settings; everything downstream receives a
:class:`Store` and never constructs a backend itself.
"""

from __future__ import annotations

import numpy as np

from ingest.bm25_index import BM25Index
from ingest.embedders import Embedder, build_embedder
from ingest.manifest import Manifest
from ingest.settings import Settings
from ingest.vector_store import VectorStore, build_vector_store


class Store:
    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        vectors: VectorStore | None = None,
    ) -> None:
        self.settings = settings
        self.manifest = Manifest(settings.manifest_path)
        self._embedder = embedder
        self._vectors = vectors
        self._bm25: BM25Index | None = None
        self._status_mask: tuple[tuple[str, int], np.ndarray] | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = build_embedder(self.settings.embedder, self.settings.embed_batch_size)
        return self._embedder

    @property
    def vectors(self) -> VectorStore:
        if self._vectors is None:
            self._vectors = build_vector_store(
                self.settings.vector_store,
                self.settings.chroma_dir,
                self.settings.collection,
                self.embedder.name,
            )
        return self._vectors

    @property
    def bm25(self) -> BM25Index:
        if self._bm25 is None:
            self._bm25 = BM25Index.load(self.settings.bm25_dir)
        return self._bm25

    def set_bm25(self, index: BM25Index) -> None:
        self._bm25 = index
        self._status_mask = None

    def approved_mask(self) -> np.ndarray:
        """0/1 mask over the BM25 ids: 1 where the chunk belongs to its document's served revision.

        Keyed on the manifest's generation counter (one indexed read per question), so an approval
        by another process is seen by the next question.
        """
        key = (self.manifest.generation(), id(self.bm25))
        if self._status_mask is None or self._status_mask[0] != key:
            served = self.manifest.served_chunk_ids()
            mask = np.fromiter((1.0 if cid in served else 0.0 for cid in self.bm25.ids), dtype=np.float32)
            self._status_mask = (key, mask)
        return self._status_mask[1]

    def invalidate(self) -> None:
        self._status_mask = None

    def is_empty(self) -> bool:
        return self.manifest.count_documents() == 0

    def set_status(self, doc_id: str, status: str, *, actor: str = "system", note: str = "") -> None:
        """Change the status of the revision readers see, in the manifest (audited) and then in Chroma.

        A low-level move without transition rules, for operators and tests; editors go through
        :mod:`ingest.lifecycle`.
        """
        from ingest.pipeline import sync_vectors  # the pipeline imports the store

        self.manifest.set_status(doc_id, status, actor=actor, note=note)
        sync_vectors(self, doc_id)

    def close(self) -> None:
        self.manifest.close()
