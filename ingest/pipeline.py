"""Ingest documents into a store: parse, chunk, extract evidence, embed, index; idempotently, by revision.

A file whose content differs from its document's newest revision becomes a new revision (n+1);
its status comes from ``--status``, else the file, else ``settings.default_status``. A new revision
that is not approved is indexed but not served: the approved one keeps answering until an
editor approves the new one (:mod:`editorial.lifecycle`). Unchanged content costs nothing.

Order of writes for one revision, chosen so a crash (even ``kill -9``) at any point loses nothing
and serves nothing half-written:
1. upsert the revision's vectors, marked ``indexing`` in Chroma (ids carry the revision and a
   text hash, so old and new coexist; vectors of identical text are copied, not re-embedded);
2. store the revision in the manifest in one transaction (the manifest is the truth; that
   transaction also records a pending Chroma sync for the document);
3. sync Chroma's per-chunk ``status`` with the manifest and delete vectors of retired revisions.
A crash after 1 leaves vectors no manifest row lists: retrieval ignores them and
:func:`store.store.reconcile` deletes them. A crash after 2 leaves a pending sync that it
replays. Every ingest and editor action runs under :func:`store.lock.write_lock`. A document that
fails to load keeps its previously indexed revisions untouched.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.lexicon import LEXICON_DIGEST
from core.records import DocumentError, LoadedDocument, RatingTable, Status
from core.textnorm import RULES_DIGEST, terms
from ingest.chunking import chunk_blocks
from ingest.documents import discover, load_document
from ingest.evidence import extract_rating_rows
from ingest.parsing import parse_body
from ingest.statements import code_facts, compile_document
from store.lock import write_lock
from store.store import Store, chunk_metadata, rebuild_bm25, reconcile, remove_document, sync_vectors

Progress = Callable[[str, str], None]  # (event, doc_id or path)

# Bump when parsing, chunking or evidence extraction changes: every document is then re-processed
# (vectors of chunks whose text did not change are reused, so only new text is embedded). A change to
# the clinical vocabulary (core/lexicon/*.yaml) re-compiles every document's rules the same way.
# A change to the rule compiler's own code does too: its source is part of the version.
_COMPILER_SOURCES = ("ingest/compile.py", "ingest/statements.py", "core/rules.py")
COMPILER_DIGEST = hashlib.sha1(
    b"".join((Path(__file__).resolve().parent.parent / name).read_bytes() for name in _COMPILER_SOURCES)
).hexdigest()[:12]
INGEST_VERSION = f"4:{RULES_DIGEST}:{LEXICON_DIGEST}:{COMPILER_DIGEST}"
# Chroma status of vectors written before their revision is committed: never matches "approved".
INDEXING = "indexing"
OPERATOR = "operator"  # the actor recorded for `guideqa ingest` (a local operator, see README)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # doc_id@rev of every new revision of a known document
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


def revision_chunk_id(chunk_id: str, rev: int) -> str:
    """Revision 1 keeps the original id (so pre-revision indexes keep their vectors); later ones name it."""
    if rev == 1:
        return chunk_id
    doc_id, rest = chunk_id.split("::", 1)
    return f"{doc_id}@{rev}::{rest}"


def index_revision(store: Store, doc: LoadedDocument, rev: int, *, actor: str, note: str = "") -> int:
    """Embed, index and commit revision ``rev`` of a document; returns the number of chunks embedded."""
    settings = store.settings
    doc_id = doc.meta.doc_id
    blocks = parse_body(doc.body, doc.fmt)
    chunks = chunk_blocks(doc.meta, blocks, chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap)
    if not chunks:
        raise DocumentError(doc.path, "produced no text to index")
    for c in chunks:
        c.chunk_id = revision_chunk_id(c.chunk_id, rev)
    tables = [b.table for b in blocks if b.kind == "table" and b.table is not None]
    rating_tables, rating_rows = extract_rating_rows(doc_id, doc.meta.title, chunks, tables)
    rules = compile_document(doc_id, doc.meta.title, blocks, chunks)
    facts = code_facts(doc_id, tables)
    chunk_terms = [terms(c.embed_text) for c in chunks]

    # Vectors already computed for the same text in this document are copied, never re-embedded.
    manifest = store.manifest
    existing = manifest.revision(doc_id, rev)
    same_rev_ids = set(manifest.rev_chunk_ids(doc_id, rev))
    texts: dict[str, str] = {}
    for record in manifest.revisions(doc_id):
        if record.status != Status.retired.value:
            texts.update(manifest.embed_texts(doc_id, record.rev))
    by_text = {texts[cid]: v for cid, v in store.vectors.embeddings(list(texts)).items()}
    need = list(dict.fromkeys(c.embed_text for c in chunks if c.embed_text not in by_text))
    if need:
        by_text.update(zip(need, store.embedder.embed(need), strict=True))
    # A revision being re-processed keeps its served status in Chroma; a new one stays hidden until committed.
    status = existing.status if existing else INDEXING
    store.vectors.upsert(
        [c.chunk_id for c in chunks],
        np.stack([by_text[c.embed_text] for c in chunks]),
        [chunk_metadata(doc.meta, c.kind, c.ordinal, c.section, rev, status) for c in chunks],
    )
    table_vectors = _table_vectors(store, doc, rating_tables)
    manifest.put_revision(
        doc, rev, chunks, chunk_terms, rating_tables, table_vectors, rating_rows, rules, facts, actor=actor, note=note
    )
    stale = sorted(same_rev_ids - {c.chunk_id for c in chunks})
    if stale:
        store.vectors.delete_ids(stale)
    sync_vectors(store, doc_id)
    return len(need)


def _table_vectors(store: Store, doc: LoadedDocument, tables: list[RatingTable]) -> np.ndarray:
    """One vector per rating table (title and caption), reusing the current revision's when the text is the same."""
    texts = [f"{doc.meta.title}. {t.caption}" for t in tables]
    current = store.manifest.get(doc.meta.doc_id)
    known: dict[str, np.ndarray] = {}
    if current is not None:
        for table, vector in store.manifest.rating_tables([doc.meta.doc_id]):
            if vector is not None:
                known[f"{current.meta.title}. {table.caption}"] = vector
    need = list(dict.fromkeys(t for t in texts if t not in known))
    if need:
        known.update(zip(need, store.embedder.embed(need), strict=True))
    if not texts:
        return store.embedder.embed([])
    return np.stack([known[t] for t in texts])


def _under(path: Path, roots: list[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == r or r in resolved.parents for r in roots)


def ingest_paths(
    store: Store,
    paths: list[Path],
    *,
    status: Status | None = None,
    progress: Progress | None = None,
    actor: str = OPERATOR,
) -> IngestReport:
    """Bring the store in line with the documents under ``paths``, under the data directory's write lock.

    ``status`` overrides every document's status (evalsets are ingested as approved) and is the
    only thing that changes the status of an unchanged document, so a re-ingest never undoes an
    editor's approval; otherwise a new revision takes the file's status, else
    ``settings.default_status``.
    """
    with write_lock(store.settings):
        return _ingest_paths(store, paths, status=status, progress=progress, actor=actor)


def _ingest_paths(
    store: Store, paths: list[Path], *, status: Status | None, progress: Progress | None, actor: str
) -> IngestReport:
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
            doc = load_document(
                path.resolve(),
                default_status=store.settings.default_status,
                max_bytes=store.settings.max_document_bytes,
            )
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
        head = store.manifest.head(doc_id)
        try:
            stored = store.manifest.find_content(doc_id, doc.content_hash) if head else None
            if stored is not None and head is not None and stored.rev != head.rev:
                # The file holds an older revision (an editor revised it from another file since):
                # re-ingesting a folder never rolls a document back.
                report.unchanged.append(doc_id)
                notify("unchanged", doc_id)
                continue
            if head and head.content_hash == doc.content_hash and not reprocess:
                if status is not None and head.status != status.value:
                    store.manifest.set_status(
                        doc_id, status.value, rev=head.rev, actor=actor, note="guideqa ingest --status"
                    )
                    sync_vectors(store, doc_id)
                    report.status_changed.append(doc_id)
                else:
                    report.unchanged.append(doc_id)
                notify("unchanged", doc_id)
                continue
            if head and head.content_hash == doc.content_hash:
                rev = head.rev  # re-processing the same content (parsing rules changed): same revision
                if status is None:
                    doc.meta.status = Status(head.status)
            else:
                rev = head.rev + 1 if head else 1
            report.chunks_embedded += index_revision(store, doc, rev, actor=actor, note="guideqa ingest")
            if head is None:
                report.added.append(doc_id)
            else:
                report.updated.append(doc_id)
            notify("indexed", doc_id)
        except DocumentError as exc:
            report.failed.append((doc.path, str(exc)))
            notify("failed", doc.path)

    for record in store.manifest.heads():
        if record.doc_id in loaded or not _under(Path(record.path), roots):
            continue
        if str(Path(record.path).resolve()) in failed_paths:
            continue  # a malformed edit keeps the last good version
        remove_document(store, record.doc_id, actor=actor, note=f"{record.path} no longer exists")
        report.removed.append(record.doc_id)
        notify("removed", record.doc_id)

    report.orphans_deleted += reconcile(store)
    store.manifest.set_info("ingest_version", INGEST_VERSION)
    if report.changed or not store.settings.bm25_dir.exists():
        rebuild_bm25(store)
    report.seconds = time.perf_counter() - started
    return report
