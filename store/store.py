"""The store: manifest (with its keyword index), vector store and embedder of one data directory, opened together.

Backends are built here, in one place, from the settings; the ingest pipeline, the editorial
lifecycle and retrieval receive a :class:`Store` and never construct a backend themselves (answer
engines never receive it: they read through :class:`assistant.corpus.CorpusReader`).

The store also keeps itself consistent (the functions after :class:`Store`): the manifest is the
truth, and :func:`sync_vectors` (one document's Chroma status after a manifest commit),
:func:`reconcile` (pending syncs replayed, orphan vectors deleted, missing ones re-added),
:func:`remove_document` bring the vector store in line with it. The keyword (BM25) index lives in
the manifest itself (SQLite FTS5, see :mod:`store.manifest`) and is updated in the transaction of
each revision swap; :func:`reconcile` only repairs it when it disagrees with the served chunks.
The ingest pipeline and the editorial lifecycle call them; neither re-implements them.
"""

from __future__ import annotations

from typing import Any

from core.instructions import addresses_the_engine
from core.records import DocumentMeta, Status
from core.settings import Settings
from store.embedders import Embedder, build_embedder
from store.manifest import Manifest
from store.vector_store import VectorStore, build_vector_store


class KeywordIndex:
    """The BM25 keyword index of the served chunks: a view of the manifest's FTS5 table.

    Nothing is cached: every search reads the committed manifest, so a change made by another
    process sharing the data directory is seen by the next question.
    """

    def __init__(self, manifest: Manifest) -> None:
        self._manifest = manifest

    def search(self, query_terms: list[str], k: int) -> list[tuple[str, float]]:
        """(chunk id, score) best first, served chunks only."""
        return self._manifest.keyword_search(query_terms, k)

    @property
    def ids(self) -> list[str]:
        """Every chunk in the index (the served ones)."""
        return list(self._manifest.keyword_chunk_ids())

    def rebuild(self) -> None:
        """Repair only: re-index every served chunk (O(corpus))."""
        self._manifest.rebuild_keywords()


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
        self.keywords = KeywordIndex(self.manifest)
        self._statuses: dict[str, str] | None = None
        self._engine_addressed: tuple[str, frozenset[str]] | None = None
        self._token: tuple[int, int] | None = None

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
                url=self.settings.chroma_url,
                tenant=self.settings.chroma_tenant,
                database=self.settings.chroma_database,
            )
        return self._vectors

    def _sync(self) -> None:
        """Drop what another process (or this one) made stale since the last look at the manifest.

        Several GuideQA processes may share one data directory (and one Chroma server): the
        manifest's change token tells, in microseconds, whether anything was committed; only
        then are the statuses re-read (the keyword index is in the manifest and never stale).
        """
        token = self.manifest.change_token()
        if token == self._token:
            return
        self._token = token
        self._statuses = None

    def engine_addressed_docs(self) -> frozenset[str]:
        """Served documents holding text addressed to an answer engine ("ignore previous instructions...").

        They are never used to answer (:mod:`core.instructions`). Computed once per manifest change
        (one scan of the served chunk texts), then free.
        """
        generation = self.manifest.generation()  # moves with document changes only (not log-in events)
        if self._engine_addressed is None or self._engine_addressed[0] != generation:
            found = frozenset(doc_id for doc_id, text in self.manifest.served_texts() if addresses_the_engine(text))
            self._engine_addressed = (generation, found)
        return self._engine_addressed[1]

    def statuses(self) -> dict[str, str]:
        """doc id -> status, re-read only when the manifest changed (it is asked on every question)."""
        self._sync()
        if self._statuses is None:
            self._statuses = self.manifest.statuses()
        return self._statuses

    def invalidate(self) -> None:
        """Forget cached statuses (this process just changed the corpus)."""
        self._token = None
        self._statuses = None

    def is_empty(self) -> bool:
        return self.manifest.count_documents() == 0

    def set_status(self, doc_id: str, status: str, *, actor: str = "system", note: str = "") -> None:
        """Change the status of the revision readers see, in the manifest (audited) and then in Chroma.

        A low-level move without transition rules, for operators and tests; editors go through
        :mod:`editorial.lifecycle`.
        """
        self.manifest.set_status(doc_id, status, actor=actor, note=note)
        sync_vectors(self, doc_id)

    def close(self) -> None:
        self.manifest.close()


def chunk_metadata(
    meta: DocumentMeta, kind: str, ordinal: int, section: list[str] | str, rev: int = 1, status: str | None = None
) -> dict[str, Any]:
    """What every chunk carries in the vector store: its revision's metadata and its section path.

    ``status`` is the revision's status; it equals ``approved`` exactly for the served revision's
    chunks, which is what the vector query filters on.
    """
    return {
        "doc_id": meta.doc_id,
        "rev": rev,
        "status": status or meta.status.value,
        "title": meta.title,
        "publisher": meta.publisher,
        "year": meta.year or 0,
        "version": meta.version,
        "codes": ",".join(meta.codes.all()),
        "kind": kind,
        "ordinal": ordinal,
        "section": section if isinstance(section, str) else " › ".join(section),
    }


def sync_vectors(store: Store, doc_id: str) -> None:
    """Make Chroma's per-chunk status match the manifest for one document; drop retired revisions' vectors.

    Live revisions are flipped first and retired ones deleted after, so during an approval the
    dense retriever always sees at least one revision (the manifest decides which one answers).
    """
    records = sorted(store.manifest.revisions(doc_id), key=lambda r: r.status == Status.retired.value)
    for record in records:
        ids = store.manifest.rev_chunk_ids(doc_id, record.rev)
        if not ids:
            continue
        if record.status == Status.retired.value:
            store.vectors.delete_ids(ids)
        else:
            present = store.vectors.metadata(ids)
            changed = [i for i in ids if i in present and present[i].get("status") != record.status]
            if changed:
                store.vectors.update_metadata(changed, [{"status": record.status, "rev": record.rev} for _ in changed])
    store.manifest.clear_pending_sync(doc_id)
    store.invalidate()


def remove_document(store: Store, doc_id: str, *, actor: str, note: str = "") -> None:
    """Purge every chunk of every revision of a document; its audit history stays."""
    ids = [
        cid for record in store.manifest.revisions(doc_id) for cid in store.manifest.rev_chunk_ids(doc_id, record.rev)
    ]
    store.manifest.delete_document(doc_id, actor=actor, note=note)
    store.vectors.delete_ids(ids)
    store.vectors.delete_doc(doc_id)
    store.invalidate()


def reconcile(store: Store) -> int:
    """Replay pending status syncs, make the vector store hold exactly the manifest's live chunks, and
    repair the keyword index if it does not hold exactly the served chunks (it never should: it is
    written in the same transactions as the revisions).

    Returns the number of vectors deleted or re-added.
    """
    if set(store.manifest.keyword_chunk_ids()) != store.manifest.served_chunk_ids():
        store.keywords.rebuild()
    for doc_id in store.manifest.pending_sync():
        sync_vectors(store, doc_id)
    in_manifest = store.manifest.chunk_ids()
    in_vectors = store.vectors.ids()
    orphans = sorted(in_vectors - in_manifest)
    if orphans:
        store.vectors.delete_ids(orphans)
    missing = in_manifest - in_vectors
    if missing:
        stored = store.manifest.chunks(missing)
        by_rev: dict[tuple[str, int], list[str]] = {}
        for cid, chunk in stored.items():
            by_rev.setdefault((chunk.doc_id, chunk.rev), []).append(cid)
        for (doc_id, rev), ids in by_rev.items():
            texts = dict(store.manifest.embed_texts(doc_id, rev))
            record = store.manifest.revision(doc_id, rev)
            assert record is not None
            vectors = store.embedder.embed([texts[cid] for cid in ids])
            metas = [
                chunk_metadata(record.meta, stored[c].kind, stored[c].ordinal, stored[c].section, rev) for c in ids
            ]
            store.vectors.upsert(ids, vectors, metas)
    return len(orphans) + len(missing)
