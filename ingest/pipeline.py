"""Ingest documents into a store: parse, chunk, extract evidence, embed, index; idempotently.

Order of writes for one document, chosen so a crash at any point loses nothing:
1. upsert the new chunk vectors (ids carry a content hash, so old and new can coexist);
2. replace the document in the manifest in one transaction (the manifest is the truth);
3. delete vectors of the document that the manifest no longer lists.
A crash after 1 leaves extra vectors that retrieval ignores (they are not in the manifest) and
that :func:`reconcile` deletes at the start and end of every ingest. A document that fails to
load keeps its previously indexed version untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.bm25_index import BM25Index
from ingest.chunking import chunk_blocks
from ingest.documents import DocumentError, DocumentMeta, LoadedDocument, Status, discover, load_document
from ingest.evidence import extract_criteria, extract_rating_rows
from ingest.parsing import parse_body
from ingest.store import Store
from ingest.textnorm import RULES_DIGEST, terms

Progress = Callable[[str, str], None]  # (event, doc_id or path)

# Bump when parsing, chunking or evidence extraction changes: every document is then re-processed
# (vectors of chunks whose text did not change are reused, so only new text is embedded).
INGEST_VERSION = f"3:{RULES_DIGEST}"


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    status_changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    warnings: list[str] = field(default_factory=list)  # recommended metadata missing
    chunks_embedded: int = 0
    orphans_deleted: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.status_changed or self.orphans_deleted)


def chunk_metadata(meta: DocumentMeta, kind: str, ordinal: int, section: list[str] | str) -> dict[str, Any]:
    """What every chunk carries in the vector store: its document's metadata and its section path."""
    return {
        "doc_id": meta.doc_id,
        "status": meta.status.value,
        "title": meta.title,
        "publisher": meta.publisher,
        "year": meta.year or 0,
        "version": meta.version,
        "codes": ",".join(meta.codes.all()),
        "kind": kind,
        "ordinal": ordinal,
        "section": section if isinstance(section, str) else " › ".join(section),
    }


def _index_document(store: Store, doc: LoadedDocument) -> int:
    """Embed and index one document; returns the number of chunks embedded."""
    settings = store.settings
    blocks = parse_body(doc.body, doc.fmt)
    chunks = chunk_blocks(doc.meta, blocks, chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap)
    if not chunks:
        raise DocumentError(doc.path, "produced no text to index")
    tables = [b.table for b in blocks if b.kind == "table" and b.table is not None]
    rating_tables, rating_rows = extract_rating_rows(doc.meta.doc_id, doc.meta.title, chunks, tables)
    criteria = extract_criteria(doc.meta.doc_id, blocks, chunks)
    chunk_terms = [terms(c.embed_text) for c in chunks]

    listed = [c.chunk_id for c in store.manifest.doc_chunks(doc.meta.doc_id)]
    # Only this document's ids are looked up: listing the whole collection per document made a
    # corpus ingest quadratic (46,370 ids fetched for each of 1,380 documents).
    old_ids = set(store.vectors.metadata(listed)) if listed else set()
    # Chunk ids hash their text, so an id already indexed needs no new embedding.
    fresh = [c for c in chunks if c.chunk_id not in old_ids]
    if fresh:
        store.vectors.upsert(
            [c.chunk_id for c in fresh],
            store.embedder.embed([c.embed_text for c in fresh]),
            [chunk_metadata(doc.meta, c.kind, c.ordinal, c.section) for c in fresh],
        )
    kept = [c for c in chunks if c.chunk_id in old_ids]
    if kept:  # same text, possibly new metadata (title, version, status): no embedding needed
        store.vectors.update_metadata(
            [c.chunk_id for c in kept], [chunk_metadata(doc.meta, c.kind, c.ordinal, c.section) for c in kept]
        )
    table_vectors = store.embedder.embed([f"{doc.meta.title}. {t.caption}" for t in rating_tables])
    store.manifest.replace_document(doc, chunks, chunk_terms, rating_tables, table_vectors, rating_rows, criteria)
    stale = sorted(old_ids - {c.chunk_id for c in chunks})
    if stale:
        store.vectors.delete_ids(stale)
    return len(fresh)


def _remove_document(store: Store, doc_id: str) -> None:
    ids = [c.chunk_id for c in store.manifest.doc_chunks(doc_id)]
    store.manifest.delete_document(doc_id)
    store.vectors.delete_ids(ids)
    store.vectors.delete_doc(doc_id)


def reconcile(store: Store) -> int:
    """Make the vector store hold exactly the manifest's chunks; returns vectors deleted or re-added."""
    in_manifest = store.manifest.chunk_ids()
    in_vectors = store.vectors.ids()
    orphans = sorted(in_vectors - in_manifest)
    if orphans:
        store.vectors.delete_ids(orphans)
    missing = in_manifest - in_vectors
    if missing:
        by_doc: dict[str, list[tuple[str, str]]] = {}
        for record in store.manifest.documents():
            rows = [(cid, text) for cid, text in store.manifest.embed_texts(record.doc_id) if cid in missing]
            if rows:
                by_doc[record.doc_id] = rows
        for doc_id, rows in by_doc.items():
            stored = store.manifest.chunks([cid for cid, _ in rows])
            vectors = store.embedder.embed([text for _, text in rows])
            meta = store.manifest.get(doc_id).meta  # type: ignore[union-attr]
            metas = [
                chunk_metadata(meta, stored[cid].kind, stored[cid].ordinal, stored[cid].section) for cid, _ in rows
            ]
            store.vectors.upsert([cid for cid, _ in rows], vectors, metas)
    return len(orphans) + len(missing)


def rebuild_bm25(store: Store) -> BM25Index:
    ids, corpus_terms, doc_ids = store.manifest.all_terms()
    index = BM25Index.build(ids, corpus_terms, doc_ids)
    store.publish_bm25(index)
    return index


def _under(path: Path, roots: list[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == r or r in resolved.parents for r in roots)


def ingest_paths(
    store: Store,
    paths: list[Path],
    *,
    status: Status | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the store in line with the documents under ``paths``.

    ``status`` overrides every document's status (evalsets are ingested as approved); otherwise a
    document without one gets ``settings.default_status``.
    """
    started = time.perf_counter()
    report = IngestReport()
    notify = progress or (lambda event, item: None)
    report.orphans_deleted += reconcile(store)

    files = discover(paths)
    roots = [Path(p).resolve() for p in paths if Path(p).is_dir()]
    notify("discovered", str(len(files)))
    reprocess = store.manifest.get_info("ingest_version") != INGEST_VERSION
    loaded: dict[str, LoadedDocument] = {}
    failed_paths: set[str] = set()
    for path in files:
        try:
            doc = load_document(path.resolve(), default_status=store.settings.default_status)
            if status is not None:
                doc.meta.status = status
            if doc.meta.doc_id in loaded:
                raise DocumentError(
                    path,
                    f"doc_id '{doc.meta.doc_id}' is also used by {loaded[doc.meta.doc_id].path}",
                    "doc_id",
                )
            loaded[doc.meta.doc_id] = doc
            report.warnings.extend(doc.warnings())
        except DocumentError as exc:
            report.failed.append((str(path), str(exc)))
            failed_paths.add(str(Path(path).resolve()))
            notify("failed", str(path))

    for doc_id, doc in loaded.items():
        existing = store.manifest.get(doc_id)
        try:
            if existing and existing.content_hash == doc.content_hash and not reprocess:
                if existing.status != doc.meta.status.value:
                    store.set_status(doc_id, doc.meta.status.value)
                    report.status_changed.append(doc_id)
                else:
                    report.unchanged.append(doc_id)
                notify("unchanged", doc_id)
                continue
            report.chunks_embedded += _index_document(store, doc)
            (report.updated if existing else report.added).append(doc_id)
            notify("indexed", doc_id)
        except DocumentError as exc:
            report.failed.append((doc.path, str(exc)))
            notify("failed", doc.path)

    for record in store.manifest.documents():
        if record.doc_id in loaded or not _under(Path(record.path), roots):
            continue
        if str(Path(record.path).resolve()) in failed_paths:
            continue  # a malformed edit keeps the last good version
        _remove_document(store, record.doc_id)
        report.removed.append(record.doc_id)
        notify("removed", record.doc_id)

    report.orphans_deleted += reconcile(store)
    store.manifest.set_info("ingest_version", INGEST_VERSION)
    if report.changed or not store.settings.bm25_dir.exists():
        rebuild_bm25(store)
    report.seconds = time.perf_counter() - started
    return report
