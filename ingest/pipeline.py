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

Memory is bounded by the largest document, not by the corpus: a first pass reads each file only
for its identity (path, doc_id, content hash: a doc_id claimed by two files must be known before
either is indexed), and a second pass reads again, parses, embeds and commits one document at a
time (its keyword rows go into the manifest's FTS5 index in the same transaction). What grows with
the corpus lives on disk (manifest, Chroma), except Chroma's own in-memory vector index.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.instructions import instruction_passages
from core.lexicon import LEXICON_DIGEST
from core.lexicon.reader import clear_reading_memos
from core.memory import return_freed_memory
from core.records import DocumentError, LoadedDocument, RatingTable, Status
from core.textnorm import RULES_DIGEST, expand, terms
from ingest.chunking import chunk_blocks
from ingest.documents import Limits, discover, load_document
from ingest.evidence import extract_rating_rows
from ingest.parsing import parse_body
from ingest.statements import code_facts, compile_document
from store.lock import write_lock
from store.store import Store, chunk_metadata, reconcile, remove_document, sync_vectors

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


@dataclass
class _Found:
    """What pass 1 of an ingest keeps of a file: its identity (the doc_id is its key), never its text."""

    path: Path  # as discovered
    shown: str  # the resolved path, as reports and failures name it
    content_hash: str
    warnings: list[str] = field(default_factory=list)


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


def release_document_memory() -> None:
    """After a document is indexed: drop the text readers' memo tables and give freed heap back.

    The memo tables are sized for answering (the same sentences come back question after question;
    full, they hold several hundred MB), but an ingest reads each text once: kept, they would grow
    with the corpus. Then the heap is trimmed (:mod:`core.memory`). So an ingest holds one
    document's data at a time, in RSS as well as in Python objects.
    """
    clear_reading_memos()
    expand.cache_clear()
    return_freed_memory()


def _under(path: Path, roots: list[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == r or r in resolved.parents for r in roots)


# Errors a document's content can raise while it is parsed, chunked or compiled (a crash of the
# store or the embedder is not one of them: it stops the run, and the next run repairs).
_CONTENT_ERRORS = (RecursionError, MemoryError, ValueError, TypeError, KeyError, IndexError, AttributeError)


class ApprovalRequired(PermissionError):
    """``ingest`` was asked to approve (``--status approved``, a status change) without an editor."""


def ingest_paths(
    store: Store,
    paths: list[Path],
    *,
    status: Status | None = None,
    progress: Progress | None = None,
    actor: str = OPERATOR,
    approved_by: str | None = None,
) -> IngestReport:
    """Bring the store in line with the documents under ``paths``, under the data directory's write lock.

    Authority: ingest never approves by itself. A document is approved by ingest (``status``, or
    ``status: approved`` in its file) only when the data directory held no documents when the run
    began (the bootstrap of a fresh installation: the starter corpus, an evalset's own index),
    or when ``approved_by`` names the editor who authorised it (the CLI's ``--approve-as``, verified
    with their password before calling); either is written to the audit log. Otherwise a file's
    ``approved`` becomes ``submitted`` (with a warning: the approved revision keeps answering until
    an editor approves the new one), and an explicit ``status=approved``, or any change of an
    existing revision's status, raises :class:`ApprovalRequired` before anything changes.

    ``status`` overrides every document's status and is the only thing that changes the status of
    an unchanged document, so a re-ingest never undoes an editor's approval; otherwise a new
    revision takes the file's status, else ``settings.default_status``.
    """
    with write_lock(store.settings):
        bootstrap = store.manifest.count_documents() == 0
        if status is Status.approved and not bootstrap and approved_by is None:
            raise ApprovalRequired(
                f"{store.settings.home} already holds documents: approving with ingest needs an editor "
                "(guideqa ingest --approve-as EDITOR), or approve them with `guideqa docs approve`"
            )
        return _ingest_paths(
            store,
            paths,
            status=status,
            progress=progress,
            actor=approved_by or actor,
            bootstrap=bootstrap,
            authorised=bootstrap or approved_by is not None,
        )


def _ingest_paths(
    store: Store,
    paths: list[Path],
    *,
    status: Status | None,
    progress: Progress | None,
    actor: str,
    bootstrap: bool,
    authorised: bool,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    notify = progress or (lambda event, item: None)
    report.orphans_deleted += reconcile(store)
    note = "guideqa ingest (bootstrap of an empty data directory)" if bootstrap else "guideqa ingest"
    if authorised and not bootstrap:
        note = f"guideqa ingest --approve-as {actor}"

    files = discover(paths)
    roots = [Path(p).resolve() for p in paths if Path(p).is_dir()]
    notify("discovered", str(len(files)))
    reprocess = store.manifest.get_info("ingest_version") != INGEST_VERSION
    limits = Limits.from_settings(store.settings)
    failed_paths: set[str] = set()

    def fail(path: str, message: str) -> None:
        report.failed.append((path, message))
        failed_paths.add(str(Path(path).resolve()))
        notify("failed", path)

    def load(path: Path) -> tuple[LoadedDocument, bool] | None:
        """One file read and validated, its status decided (and whether a file's ``approved`` was
        demoted to ``submitted``); ``None``, with a failure recorded, if it cannot be read."""
        try:
            doc = load_document(path.resolve(), default_status=store.settings.default_status, limits=limits)
        except DocumentError as exc:
            fail(str(path), str(exc))
            return None
        except Exception as exc:
            fail(str(path), f"{path}: could not be read ({exc.__class__.__name__}: {str(exc)[:200]})")
            return None
        if status is not None:
            doc.meta.status = status
        elif doc.meta.status is Status.approved and not authorised:
            doc.meta.status = Status.submitted
            return doc, True
        return doc, False

    # Pass 1 keeps only each file's identity (path, doc_id, content hash): the corpus is never held
    # in memory, so the peak of an ingest is one document's, whatever the corpus size. A doc_id
    # claimed by two files must be known before either is indexed, hence two passes.
    by_id: dict[str, list[_Found]] = {}
    for path in files:
        got = load(path)
        if got is None:
            continue
        doc, demoted = got
        found = _Found(path, doc.path, doc.content_hash)
        if demoted:
            found.warnings.append(
                f"{path}: 'status: approved' in the file is not honoured (the data directory already holds "
                "documents): indexed as submitted for an editor to approve (or ingest --approve-as EDITOR)"
            )
        found.warnings.extend(doc.warnings())
        passages = instruction_passages(doc.body)
        if passages:
            found.warnings.append(
                f"{doc.path}: holds text addressed to an answer engine ({passages[0]!r}): "
                "it is indexed for the editor to see, and never used to answer"
            )
        by_id.setdefault(doc.meta.doc_id, []).append(found)
        del doc, got
    loaded: dict[str, _Found] = {}
    for doc_id, founds in by_id.items():
        if len(founds) == 1:
            loaded[doc_id] = founds[0]
            report.warnings.extend(founds[0].warnings)
            continue
        for found in founds:  # a doc_id claimed by two files in one run: neither wins
            others = ", ".join(f.shown for f in founds if f is not found)
            fail(
                found.shown,
                str(DocumentError(Path(found.shown), f"doc_id '{doc_id}' is also used by {others}", "doc_id")),
            )
    del by_id

    # Pass 2: one document at a time, read again, then parsed, chunked, embedded and committed.
    for doc_id, found in loaded.items():
        head = store.manifest.head(doc_id)
        try:
            stored = store.manifest.find_content(doc_id, found.content_hash) if head else None
            if stored is not None and head is not None and stored.rev != head.rev:
                # The file holds an older revision (an editor revised it from another file since):
                # re-ingesting a folder never rolls a document back.
                report.unchanged.append(doc_id)
                notify("unchanged", doc_id)
                continue
            if head and head.content_hash == found.content_hash and not reprocess:
                if status is not None and head.status != status.value:
                    if not authorised:
                        raise DocumentError(
                            Path(found.shown),
                            f"{head.cited_as} is {head.status}: changing its status with ingest needs an editor "
                            "(--approve-as EDITOR, or `guideqa docs ...`)",
                            "status",
                        )
                    store.manifest.set_status(doc_id, status.value, rev=head.rev, actor=actor, note=f"{note} --status")
                    sync_vectors(store, doc_id)
                    report.status_changed.append(doc_id)
                else:
                    report.unchanged.append(doc_id)
                notify("unchanged", doc_id)
                continue
            got = load(found.path)
            if got is None:
                continue  # it broke or vanished since pass 1: recorded as failed, its indexed revisions kept
            doc = got[0]
            if doc.meta.doc_id != doc_id:
                raise DocumentError(
                    Path(doc.path), f"changed its doc_id from '{doc_id}' while being ingested", "doc_id"
                )
            if head and head.content_hash == doc.content_hash:
                rev = head.rev  # re-processing the same content (parsing rules changed): same revision
                if status is None or not authorised:
                    doc.meta.status = Status(head.status)
            else:
                rev = head.rev + 1 if head else 1
            try:
                report.chunks_embedded += index_revision(store, doc, rev, actor=actor, note=note)
            finally:
                release_document_memory()
            if head is None:
                report.added.append(doc_id)
            else:
                report.updated.append(doc_id)
            notify("indexed", doc_id)
        except DocumentError as exc:
            fail(found.shown, str(exc))
        except _CONTENT_ERRORS as exc:  # what a document's content can cause; one never stops the rest
            fail(found.shown, f"{found.shown}: could not be indexed ({exc.__class__.__name__}: {str(exc)[:200]})")

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
    report.seconds = time.perf_counter() - started
    return report
