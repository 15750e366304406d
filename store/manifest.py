"""The SQLite manifest: what is indexed, revision by revision, with chunk texts, evidence and an audit log.

It is the source of truth the vector store and BM25 index are reconciled against.

Revisions. Every document (``doc_id``) has numbered revisions; a revision is one content hash of
the file. ``documents`` holds, per document, its newest revision (``head_rev``) and the one that
answers physicians (``served_rev``, NULL when none is approved). At most one revision of a
document is ``approved`` and it is always the served one: approving revision n retires the
previously served revision in the same transaction. Older revisions keep their chunk texts here
so an answer that cited ``doc_id@rev`` can still be shown, but lose their vectors.

Atomic approval. Serving is decided by ``served_rev`` alone, inside one SQLite transaction; the
``status`` metadata of each chunk in Chroma (which lets the vector query skip unserved chunks
cheaply) is flipped *after* that commit. Until the flip lands a dense hit of the old revision is
dropped by :meth:`Manifest.chunks` (``served=True`` joins on ``served_rev``), so a question
never mixes two revisions, and :meth:`Manifest.snapshot` gives one question one consistent read.
A crash between commit and flip leaves a row in ``pending_sync`` that the next ingest or
lifecycle action replays (see :func:`store.store.sync_vectors`).

Migration. A schema-1 manifest (one row per document, no revisions) is upgraded in place the
first time it is opened: every document becomes revision 1 with its status, every chunk keeps
its id (so its Chroma vector is reused, never re-embedded), and the audit log starts empty.
Schema 4 adds the keyword index; an older manifest fills it from its stored chunk terms on opening.

Keyword index. ``keyword_index`` (SQLite FTS5, ranked by its built-in ``bm25()``) holds the terms
of the served chunks only, one FTS row per chunk, and ``keyword_rows`` maps each FTS rowid to its
chunk and document. Every statement that can move ``served_rev`` (:meth:`Manifest.put_revision`,
:meth:`Manifest.set_status`, :meth:`Manifest.delete_document`) re-indexes that one document in
the same transaction, so an approval costs O(document), and the index can never disagree with
the revisions after a crash: both commit or neither does.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from core.private import private_file
from core.records import (
    AuditEntry,
    Chunk,
    DocRecord,
    DocumentMeta,
    LoadedDocument,
    RatingRow,
    RatingTable,
    StoredChunk,
)
from core.rules import CodeFact, CompiledRule

SCHEMA_VERSION = "4"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, head_rev INTEGER NOT NULL, served_rev INTEGER
);
CREATE TABLE IF NOT EXISTS revisions (
    doc_id TEXT NOT NULL, rev INTEGER NOT NULL, path TEXT NOT NULL, content_hash TEXT NOT NULL,
    fmt TEXT NOT NULL, meta_json TEXT NOT NULL, status TEXT NOT NULL, n_chunks INTEGER NOT NULL,
    ingested_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (doc_id, rev)
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL, kind TEXT NOT NULL,
    section TEXT NOT NULL, text TEXT NOT NULL, embed_text TEXT NOT NULL, terms TEXT NOT NULL,
    rev INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS rating_tables (
    table_id TEXT NOT NULL, doc_id TEXT NOT NULL, caption TEXT NOT NULL, vector BLOB,
    rev INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (table_id, rev)
);
CREATE TABLE IF NOT EXISTS rating_rows (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, chunk_id TEXT NOT NULL,
    table_id TEXT NOT NULL, variant TEXT NOT NULL, grp TEXT, procedure TEXT NOT NULL,
    rating INTEGER NOT NULL, scale_max INTEGER NOT NULL, comment TEXT NOT NULL, rev INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS rules (
    doc_id TEXT NOT NULL, rev INTEGER NOT NULL, ord INTEGER NOT NULL, rule_id TEXT NOT NULL,
    chunk_id TEXT NOT NULL, kind TEXT NOT NULL, rule_json TEXT NOT NULL, PRIMARY KEY (doc_id, rev, ord)
);
CREATE TABLE IF NOT EXISTS rule_services (doc_id TEXT NOT NULL, rev INTEGER NOT NULL, service TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS code_facts (
    doc_id TEXT NOT NULL, rev INTEGER NOT NULL, code TEXT NOT NULL, fact_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS doc_codes (doc_id TEXT NOT NULL, code TEXT NOT NULL, rev INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, rev INTEGER, from_status TEXT,
    to_status TEXT NOT NULL, actor TEXT NOT NULL, at TEXT NOT NULL, note TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS pending_sync (doc_id TEXT PRIMARY KEY);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, rev);
CREATE INDEX IF NOT EXISTS rating_tables_doc ON rating_tables(doc_id, rev);
CREATE INDEX IF NOT EXISTS rating_rows_doc ON rating_rows(doc_id, rev);
CREATE INDEX IF NOT EXISTS rule_services_service ON rule_services(service);
CREATE INDEX IF NOT EXISTS code_facts_code ON code_facts(code);
CREATE INDEX IF NOT EXISTS doc_codes_code ON doc_codes(code);
CREATE INDEX IF NOT EXISTS audit_doc ON audit(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS keyword_index
    USING fts5(terms, tokenize="unicode61 remove_diacritics 0 tokenchars '.'");
CREATE TABLE IF NOT EXISTS keyword_rows (id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS keyword_rows_doc ON keyword_rows(doc_id);
"""

# Schema 1 -> 2, one transaction. Chunk ids are kept, so Chroma's vectors stay valid as they are.
_MIGRATE_1_TO_2 = """
ALTER TABLE documents RENAME TO documents_v1;
CREATE TABLE revisions (
    doc_id TEXT NOT NULL, rev INTEGER NOT NULL, path TEXT NOT NULL, content_hash TEXT NOT NULL,
    fmt TEXT NOT NULL, meta_json TEXT NOT NULL, status TEXT NOT NULL, n_chunks INTEGER NOT NULL,
    ingested_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (doc_id, rev)
);
INSERT INTO revisions SELECT doc_id, 1, path, content_hash, fmt, meta_json, status, n_chunks, ingested_at,
    ingested_at FROM documents_v1;
CREATE TABLE documents (doc_id TEXT PRIMARY KEY, head_rev INTEGER NOT NULL, served_rev INTEGER);
INSERT INTO documents SELECT doc_id, 1, CASE WHEN status = 'approved' THEN 1 END FROM documents_v1;
DROP TABLE documents_v1;
ALTER TABLE chunks ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;
ALTER TABLE rating_tables RENAME TO rating_tables_v1;
CREATE TABLE rating_tables (
    table_id TEXT NOT NULL, doc_id TEXT NOT NULL, caption TEXT NOT NULL, vector BLOB,
    rev INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (table_id, rev)
);
INSERT INTO rating_tables SELECT table_id, doc_id, caption, vector, 1 FROM rating_tables_v1;
DROP TABLE rating_tables_v1;
ALTER TABLE rating_rows ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;
ALTER TABLE criteria ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;
ALTER TABLE doc_codes ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;
DROP INDEX IF EXISTS chunks_doc;
DROP INDEX IF EXISTS rating_tables_doc;
DROP INDEX IF EXISTS rating_rows_doc;
DROP INDEX IF EXISTS criteria_doc;
"""

# Schema 2 -> 3: word-matched criteria give way to compiled rules. The rules are rebuilt by the next
# ingest, which re-processes every document because the ingest version changes with this schema.
_MIGRATE_2_TO_3 = """
DROP INDEX IF EXISTS criteria_doc;
DROP TABLE IF EXISTS criteria;
"""

# The revision a reader sees for a document: the served one, else the newest (for editors' views).
_CURRENT = "(SELECT COALESCE(d.served_rev, d.head_rev) FROM documents d WHERE d.doc_id = {t}.doc_id)"
_SERVED = "(SELECT d.served_rev FROM documents d WHERE d.doc_id = {t}.doc_id)"
_EVIDENCE_TABLES = ("chunks", "rating_tables", "rating_rows", "rules", "rule_services", "code_facts", "doc_codes")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


_REV_COLUMNS = (
    "r.path, r.meta_json, r.content_hash, r.n_chunks, r.ingested_at, r.rev, r.updated_at, r.fmt, d.served_rev"
)
_CHUNK_COLUMNS = "chunk_id, doc_id, ordinal, kind, section, text, rev"


class Manifest:
    def __init__(self, path: Path) -> None:
        private_file(path)  # 0600 from creation (its -wal/-shm files take its mode), in a 0700 directory
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self.keyword_rows_written = 0  # keyword index rows deleted or inserted by this connection
        self._migrate()

    def _migrate(self) -> None:
        """Create a fresh schema, or upgrade an older one in place (in one transaction)."""
        has_info = self._db.execute("SELECT name FROM sqlite_master WHERE name='info'").fetchone()
        version = None
        if has_info:
            row = self._db.execute("SELECT value FROM info WHERE key='schema_version'").fetchone()
            version = row[0] if row else None
        if version == SCHEMA_VERSION:
            return  # opening an up-to-date manifest writes nothing (readers never wait on writers)
        with self._tx() as db:
            db.execute("BEGIN IMMEDIATE")
            if version == "1":
                for statement in _MIGRATE_1_TO_2.split(";\n"):
                    if statement.strip():
                        db.execute(statement)
            if version in ("1", "2"):
                for statement in _MIGRATE_2_TO_3.split(";\n"):
                    if statement.strip():
                        db.execute(statement)
            for statement in _SCHEMA.split(";\n"):
                if statement.strip():
                    db.execute(statement)
            db.execute("INSERT OR REPLACE INTO info VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            if version in ("1", "2", "3"):
                self._fill_keywords(db)  # schema 3 -> 4: the keyword index, from the stored chunk terms
                self._bump(db)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._db
            self._db.commit()
        except BaseException:
            self._db.rollback()
            raise

    def change_token(self) -> tuple[int, int]:
        """Changes whenever anything was committed, by this connection or another process's.

        ``PRAGMA data_version`` moves on other connections' commits, ``total_changes`` on this
        one's; reading both costs microseconds, so callers can cache derived data per token.
        """
        return int(self._db.execute("PRAGMA data_version").fetchone()[0]), self._db.total_changes

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read inside sees one committed state (WAL snapshot): one question, one revision per document."""
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.commit()

    @staticmethod
    def _bump(db: sqlite3.Connection) -> None:
        """Advance the generation counter: caches keyed on it (the BM25 served mask) refresh."""
        db.execute(
            "INSERT INTO info VALUES ('generation', '1')"
            " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def generation(self) -> str:
        return self.get_info("generation") or "0"

    # ------------------------------------------------------------------ info
    def get_info(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM info WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_info(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO info VALUES (?, ?)", (key, value))

    # ------------------------------------------------------------- documents
    @staticmethod
    def _record(row: tuple[Any, ...]) -> DocRecord:
        return DocRecord(
            meta=DocumentMeta.model_validate_json(row[1]),
            path=row[0],
            content_hash=row[2],
            n_chunks=row[3],
            ingested_at=row[4],
            rev=row[5],
            updated_at=row[6],
            fmt=row[7],
            served=row[8] == row[5],
        )

    def _records(self, where: str, params: tuple[Any, ...] = ()) -> list[DocRecord]:
        rows = self._db.execute(
            f"SELECT {_REV_COLUMNS} FROM revisions r JOIN documents d ON d.doc_id = r.doc_id WHERE {where}"
            " ORDER BY r.doc_id, r.rev",
            params,
        ).fetchall()
        return [self._record(r) for r in rows]

    def get(self, doc_id: str) -> DocRecord | None:
        """The document's served revision, else its newest one; None when unknown."""
        got = self._records("r.doc_id = ? AND r.rev = COALESCE(d.served_rev, d.head_rev)", (doc_id,))
        return got[0] if got else None

    def revision(self, doc_id: str, rev: int) -> DocRecord | None:
        got = self._records("r.doc_id = ? AND r.rev = ?", (doc_id, rev))
        return got[0] if got else None

    def head(self, doc_id: str) -> DocRecord | None:
        got = self._records("r.doc_id = ? AND r.rev = d.head_rev", (doc_id,))
        return got[0] if got else None

    def revisions(self, doc_id: str) -> list[DocRecord]:
        return self._records("r.doc_id = ?", (doc_id,))

    def documents(self) -> list[DocRecord]:
        """One record per document: its served revision, else its newest."""
        return self._records("r.rev = COALESCE(d.served_rev, d.head_rev)")

    def heads(self) -> list[DocRecord]:
        return self._records("r.rev = d.head_rev")

    def statuses(self) -> dict[str, str]:
        """doc id -> status of the revision readers see; 'approved' exactly when a revision is served."""
        return dict(
            self._db.execute(
                "SELECT r.doc_id, r.status FROM revisions r JOIN documents d ON d.doc_id = r.doc_id"
                " WHERE r.rev = COALESCE(d.served_rev, d.head_rev)"
            ).fetchall()
        )

    def served_revisions(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT doc_id, served_rev FROM documents WHERE served_rev IS NOT NULL"))

    def count_documents(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def find_content(self, doc_id: str, content_hash: str) -> DocRecord | None:
        """The revision of ``doc_id`` with exactly this content, if one is stored."""
        got = self._records("r.doc_id = ? AND r.content_hash = ?", (doc_id, content_hash))
        return got[-1] if got else None

    def put_revision(
        self,
        doc: LoadedDocument,
        rev: int,
        chunks: list[Chunk],
        chunk_terms: list[list[str]],
        tables: list[RatingTable],
        table_vectors: np.ndarray,
        rows: list[RatingRow],
        rules: list[CompiledRule],
        code_facts: list[CodeFact] | None = None,
        *,
        actor: str,
        note: str = "",
    ) -> list[int]:
        """Store (or re-store) revision ``rev`` of a document and its evidence in one transaction.

        Its status is ``doc.meta.status``; when that is approved the revision is served from the
        commit on and the previously served one is retired. Returns the revisions retired.
        """
        now = now_iso()
        doc_id = doc.meta.doc_id
        with self._tx() as db:
            db.execute("BEGIN IMMEDIATE")
            old = db.execute("SELECT status, ingested_at FROM revisions WHERE doc_id=? AND rev=?", (doc_id, rev))
            previous = old.fetchone()
            self._delete_rev(db, doc_id, rev)
            db.execute(
                "INSERT INTO revisions VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    doc_id,
                    rev,
                    doc.path,
                    doc.content_hash,
                    doc.fmt,
                    doc.meta.model_dump_json(),
                    doc.meta.status.value,
                    len(chunks),
                    previous[1] if previous else now,
                    now,
                ),
            )
            db.execute(
                "INSERT INTO documents VALUES (?, ?, NULL) ON CONFLICT(doc_id) DO UPDATE"
                " SET head_rev = MAX(head_rev, excluded.head_rev)",
                (doc_id, rev),
            )
            db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        c.chunk_id,
                        doc_id,
                        c.ordinal,
                        c.kind,
                        " › ".join(c.section),
                        c.text,
                        c.embed_text,
                        " ".join(t),
                        rev,
                    )
                    for c, t in zip(chunks, chunk_terms, strict=True)
                ],
            )
            db.executemany(
                "INSERT INTO rating_tables VALUES (?,?,?,?,?)",
                [
                    (t.table_id, doc_id, t.caption, table_vectors[i].astype(np.float32).tobytes(), rev)
                    for i, t in enumerate(tables)
                ],
            )
            db.executemany(
                "INSERT INTO rating_rows (doc_id, chunk_id, table_id, variant, grp, procedure, rating, scale_max,"
                " comment, rev) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        r.doc_id,
                        r.chunk_id,
                        r.table_id,
                        r.variant,
                        r.group,
                        r.procedure,
                        r.rating,
                        r.scale_max,
                        r.comment,
                        rev,
                    )
                    for r in rows
                ],
            )
            db.executemany(
                "INSERT INTO rules VALUES (?,?,?,?,?,?,?)",
                [(doc_id, rev, i, r.rule_id, r.chunk_id, r.kind, r.model_dump_json()) for i, r in enumerate(rules)],
            )
            db.executemany(
                "INSERT INTO rule_services VALUES (?,?,?)",
                [(doc_id, rev, s) for s in sorted({s for r in rules for s in r.scope.services})],
            )
            db.executemany(
                "INSERT INTO code_facts VALUES (?,?,?,?)",
                [(doc_id, rev, f.code.upper(), f.model_dump_json()) for f in code_facts or []],
            )
            db.executemany(
                "INSERT INTO doc_codes VALUES (?, ?, ?)", [(doc_id, c.upper(), rev) for c in set(doc.meta.codes.all())]
            )
            from_status = previous[0] if previous else None
            if from_status != doc.meta.status.value:
                self._audit(db, doc_id, rev, from_status, doc.meta.status.value, actor, note)
            retired = self._apply_status(db, doc_id, rev, doc.meta.status.value, actor, stored=True)
            self._bump(db)
        return retired

    def _apply_status(
        self, db: sqlite3.Connection, doc_id: str, rev: int, status: str, actor: str, *, stored: bool = False
    ) -> list[int]:
        """Keep ``served_rev`` in line with a revision's new status; returns revisions retired by it."""
        served = db.execute("SELECT served_rev FROM documents WHERE doc_id=?", (doc_id,)).fetchone()[0]
        retired: list[int] = []
        if status == "approved":
            if served is not None and served != rev:
                self._write_status(db, doc_id, served, "retired")
                self._audit(db, doc_id, served, "approved", "retired", actor, f"superseded by revision {rev}")
                retired.append(served)
            db.execute("UPDATE documents SET served_rev=? WHERE doc_id=?", (rev, doc_id))
        elif served == rev:
            db.execute("UPDATE documents SET served_rev=NULL WHERE doc_id=?", (doc_id,))
        if status == "retired":
            retired.append(rev)
        db.execute("INSERT OR IGNORE INTO pending_sync VALUES (?)", (doc_id,))
        self._index_keywords(db, doc_id, stored_rev=rev if stored else None)
        return retired

    # --------------------------------------------------------- keyword index
    def _index_keywords(self, db: sqlite3.Connection, doc_id: str, *, stored_rev: int | None = None) -> None:
        """Make one document's keyword rows those of its served revision (none when nothing is served).

        Inside the caller's transaction; touches only that document's rows (counted in
        ``keyword_rows_written``, which tests assert on), and none when the served chunks are
        already the indexed ones, unless ``stored_rev`` (a revision just re-stored) is the served one.
        """
        indexed = {r[0] for r in db.execute("SELECT chunk_id FROM keyword_rows WHERE doc_id=?", (doc_id,))}
        row = db.execute("SELECT served_rev FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        served_rev = row[0] if row else None
        if stored_rev is None or stored_rev != served_rev:
            served_ids = {
                r[0] for r in db.execute("SELECT chunk_id FROM chunks WHERE doc_id=? AND rev=?", (doc_id, served_rev))
            }
            if served_ids == indexed:
                return
        db.execute("DELETE FROM keyword_index WHERE rowid IN (SELECT id FROM keyword_rows WHERE doc_id=?)", (doc_id,))
        db.execute("DELETE FROM keyword_rows WHERE doc_id=?", (doc_id,))
        served = db.execute(
            f"SELECT chunk_id, terms FROM chunks c WHERE doc_id=? AND rev = {_SERVED.format(t='c')} ORDER BY ordinal",
            (doc_id,),
        ).fetchall()
        for chunk_id, chunk_terms in served:
            cur = db.execute("INSERT INTO keyword_rows (chunk_id, doc_id) VALUES (?, ?)", (chunk_id, doc_id))
            db.execute("INSERT INTO keyword_index (rowid, terms) VALUES (?, ?)", (cur.lastrowid, chunk_terms))
        self.keyword_rows_written += len(indexed) + len(served)

    def _fill_keywords(self, db: sqlite3.Connection) -> None:
        """Index every served chunk from scratch (migration and repair): O(corpus), never on an editor's click."""
        db.execute("DELETE FROM keyword_index")
        db.execute("DELETE FROM keyword_rows")
        db.execute(
            "INSERT INTO keyword_rows (chunk_id, doc_id) SELECT chunk_id, doc_id FROM chunks c"
            f" WHERE rev = {_SERVED.format(t='c')} ORDER BY doc_id, ordinal"
        )
        db.execute(
            "INSERT INTO keyword_index (rowid, terms) SELECT k.id, c.terms FROM keyword_rows k"
            " JOIN chunks c ON c.chunk_id = k.chunk_id"
        )

    def rebuild_keywords(self) -> None:
        """Repair: re-index every served chunk in one transaction (see :func:`store.store.reconcile`)."""
        with self._tx() as db:
            db.execute("BEGIN IMMEDIATE")
            self._fill_keywords(db)
            self._bump(db)

    def keyword_chunk_ids(self) -> dict[str, str]:
        """chunk id -> doc id of every chunk in the keyword index (the served chunks)."""
        return dict(self._db.execute("SELECT chunk_id, doc_id FROM keyword_rows ORDER BY id").fetchall())

    def keyword_search(self, query_terms: list[str], k: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the ``k`` best served chunks for these terms, best first.

        Terms are :func:`core.textnorm.terms` output (``[a-z0-9.]``), each quoted as one FTS5 term
        and OR-ed, so a repeated query term weighs twice, as it did in the bm25s index. FTS5's
        ``bm25()`` is negative (lower is better); the score returned is its negation.
        """
        wanted = [t for t in query_terms if t and '"' not in t]
        if not wanted or k <= 0:
            return []
        match = " OR ".join(f'"{t}"' for t in wanted)
        rows = self._db.execute(
            "SELECT k.chunk_id, -f.rank FROM (SELECT rowid, rank FROM keyword_index WHERE keyword_index MATCH ?"
            " ORDER BY rank LIMIT ?) f JOIN keyword_rows k ON k.id = f.rowid ORDER BY f.rank, k.id",
            (match, k),
        ).fetchall()
        return [(cid, float(score)) for cid, score in rows if score > 0]

    @staticmethod
    def _write_status(db: sqlite3.Connection, doc_id: str, rev: int, status: str) -> None:
        meta_json = db.execute("SELECT meta_json FROM revisions WHERE doc_id=? AND rev=?", (doc_id, rev)).fetchone()[0]
        meta = DocumentMeta.model_validate({**json.loads(meta_json), "status": status})
        db.execute(
            "UPDATE revisions SET status=?, meta_json=?, updated_at=? WHERE doc_id=? AND rev=?",
            (meta.status.value, meta.model_dump_json(), now_iso(), doc_id, rev),
        )

    @staticmethod
    def _audit(
        db: sqlite3.Connection, doc_id: str, rev: int | None, from_s: str | None, to_s: str, actor: str, note: str
    ) -> None:
        db.execute(
            "INSERT INTO audit (doc_id, rev, from_status, to_status, actor, at, note) VALUES (?,?,?,?,?,?,?)",
            (doc_id, rev, from_s, to_s, actor, now_iso(), note),
        )

    def set_status(
        self, doc_id: str, status: str, *, rev: int | None = None, actor: str = "system", note: str = ""
    ) -> list[int]:
        """Change one revision's status (default: the one readers see), audited; returns revisions retired.

        No transition rules here: :mod:`editorial.lifecycle` decides which moves an editor may make.
        """
        record = self.revision(doc_id, rev) if rev is not None else self.get(doc_id)
        if record is None:
            raise KeyError(doc_id if rev is None else f"{doc_id}@{rev}")
        with self._tx() as db:
            db.execute("BEGIN IMMEDIATE")
            current = db.execute(
                "SELECT status FROM revisions WHERE doc_id=? AND rev=?", (doc_id, record.rev)
            ).fetchone()[0]
            self._write_status(db, doc_id, record.rev, status)
            self._audit(db, doc_id, record.rev, current, status, actor, note)
            retired = self._apply_status(db, doc_id, record.rev, status, actor)
            self._bump(db)
        return retired

    @staticmethod
    def _delete_rev(db: sqlite3.Connection, doc_id: str, rev: int) -> None:
        db.execute("DELETE FROM revisions WHERE doc_id=? AND rev=?", (doc_id, rev))
        for table in _EVIDENCE_TABLES:
            db.execute(f"DELETE FROM {table} WHERE doc_id=? AND rev=?", (doc_id, rev))

    def delete_document(self, doc_id: str, *, actor: str = "system", note: str = "") -> None:
        """Purge every revision of a document (the audit log keeps its history and this deletion)."""
        with self._tx() as db:
            db.execute("BEGIN IMMEDIATE")
            for table in ("documents", "revisions", *_EVIDENCE_TABLES, "pending_sync"):
                db.execute(f"DELETE FROM {table} WHERE doc_id=?", (doc_id,))
            self._index_keywords(db, doc_id)  # nothing is served any more: drops the document's rows
            self._audit(db, doc_id, None, None, "deleted", actor, note)
            self._bump(db)

    def history(self, doc_id: str) -> list[AuditEntry]:
        rows = self._db.execute(
            "SELECT doc_id, rev, from_status, to_status, actor, at, note FROM audit WHERE doc_id=? ORDER BY id",
            (doc_id,),
        ).fetchall()
        return [AuditEntry(*r) for r in rows]

    # ------------------------------------------------- account and log-in events
    # Accounts ("@users") and log-ins ("@login") share the append-only audit log with the documents,
    # under subjects no doc_id can take (a doc_id never starts with "@").
    def record_event(self, subject: str, event: str, actor: str, note: str = "") -> None:
        """Append one security event (user created, password changed, log-in failed...) to the audit log."""
        with self._tx() as db:
            self._audit(db, subject, None, None, event, actor, note)

    def events(self, subject: str, *, actor: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """The newest events of a subject (optionally of one actor), newest first."""
        sql = "SELECT doc_id, rev, from_status, to_status, actor, at, note FROM audit WHERE doc_id=?"
        params: tuple[Any, ...] = (subject,)
        if actor is not None:
            sql += " AND actor=?"
            params += (actor,)
        rows = self._db.execute(sql + " ORDER BY id DESC LIMIT ?", (*params, limit)).fetchall()
        return [AuditEntry(*r) for r in rows]

    def pending_sync(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT doc_id FROM pending_sync ORDER BY doc_id")]

    def clear_pending_sync(self, doc_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM pending_sync WHERE doc_id=?", (doc_id,))

    # ---------------------------------------------------------------- chunks
    def chunk_ids(self) -> set[str]:
        """Chunks that must have a vector: those of every revision not retired."""
        return {
            r[0]
            for r in self._db.execute(
                "SELECT c.chunk_id FROM chunks c JOIN revisions r ON r.doc_id = c.doc_id AND r.rev = c.rev"
                " WHERE r.status != 'retired'"
            )
        }

    def served_chunk_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute(f"SELECT chunk_id FROM chunks c WHERE rev = {_SERVED.format(t='c')}")}

    def served_texts(self) -> Iterator[tuple[str, str]]:
        """(doc_id, text) of every served chunk."""
        yield from self._db.execute(f"SELECT doc_id, text FROM chunks c WHERE rev = {_SERVED.format(t='c')}")

    def count_chunks(self, doc_id: str | None = None) -> int:
        """Chunks of the revision readers see (of every document, or of one)."""
        sql = f"SELECT COUNT(*) FROM chunks c WHERE rev = {_CURRENT.format(t='c')}"
        if doc_id is None:
            return int(self._db.execute(sql).fetchone()[0])
        return int(self._db.execute(sql + " AND doc_id=?", (doc_id,)).fetchone()[0])

    def all_terms(self) -> tuple[list[str], list[list[str]], list[str]]:
        """(chunk ids, their BM25 terms, their doc ids) of every revision not retired, in a stable order."""
        rows = self._db.execute(
            "SELECT c.chunk_id, c.terms, c.doc_id FROM chunks c JOIN revisions r ON r.doc_id = c.doc_id"
            " AND r.rev = c.rev WHERE r.status != 'retired' ORDER BY c.doc_id, c.rev, c.ordinal"
        ).fetchall()
        return [r[0] for r in rows], [r[1].split() for r in rows], [r[2] for r in rows]

    def _where_in(self, sql: str, values: Iterable[str]) -> list[tuple[Any, ...]]:
        """Run ``sql``, whose ``{marks}`` stands for an IN list, over the values in batches of 500."""
        items = list(values)
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(items), 500):
            part = items[start : start + 500]
            rows += self._db.execute(sql.format(marks=",".join("?" * len(part))), part).fetchall()
        return rows

    def chunks(self, ids: Iterable[str], *, served: bool = False) -> dict[str, StoredChunk]:
        """Chunks by id (ids name one revision); ``served=True`` keeps only chunks of served revisions."""
        extra = f" AND rev = {_SERVED.format(t='chunks')}" if served else ""
        rows = self._where_in(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE chunk_id IN ({{marks}}){extra}", ids)
        return {r[0]: StoredChunk(*r) for r in rows}

    def doc_chunks(self, doc_id: str, rev: int | None = None) -> list[StoredChunk]:
        """A revision's chunks in order (default: the revision readers see)."""
        if rev is None:
            sql = f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE doc_id=? AND rev = {_CURRENT.format(t='chunks')}"
            params: tuple[Any, ...] = (doc_id,)
        else:
            sql, params = f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE doc_id=? AND rev=?", (doc_id, rev)
        return [StoredChunk(*r) for r in self._db.execute(sql + " ORDER BY ordinal", params).fetchall()]

    def chunk_terms(self, doc_id: str) -> dict[str, frozenset[str]]:
        """Each chunk's indexed terms (computed once at ingest), to pre-select chunks cheaply."""
        rows = self._db.execute(
            f"SELECT chunk_id, terms FROM chunks WHERE doc_id=? AND rev = {_CURRENT.format(t='chunks')}", (doc_id,)
        ).fetchall()
        return {r[0]: frozenset(r[1].split()) for r in rows}

    def embed_texts(self, doc_id: str, rev: int | None = None) -> list[tuple[str, str]]:
        if rev is None:
            rows = self._db.execute(
                f"SELECT chunk_id, embed_text FROM chunks WHERE doc_id=? AND rev = {_CURRENT.format(t='chunks')}"
                " ORDER BY ordinal",
                (doc_id,),
            ).fetchall()
        else:
            rows = self._db.execute(
                "SELECT chunk_id, embed_text FROM chunks WHERE doc_id=? AND rev=? ORDER BY ordinal", (doc_id, rev)
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def rev_chunk_ids(self, doc_id: str, rev: int) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT chunk_id FROM chunks WHERE doc_id=? AND rev=?", (doc_id, rev))]

    # -------------------------------------------------------------- evidence
    def rating_rows(self, doc_ids: Iterable[str]) -> list[RatingRow]:
        rows = self._where_in(
            "SELECT doc_id, chunk_id, table_id, variant, grp, procedure, rating, scale_max, comment, id"
            f" FROM rating_rows WHERE doc_id IN ({{marks}}) AND rev = {_CURRENT.format(t='rating_rows')}",
            doc_ids,
        )
        return [RatingRow(*r[:-1]) for r in sorted(rows, key=lambda r: r[-1])]

    def rating_tables(self, doc_ids: Iterable[str]) -> list[tuple[RatingTable, np.ndarray | None]]:
        rows = self._where_in(
            "SELECT table_id, doc_id, caption, vector FROM rating_tables"
            f" WHERE doc_id IN ({{marks}}) AND rev = {_CURRENT.format(t='rating_tables')}",
            doc_ids,
        )
        return [(RatingTable(r[0], r[1], r[2]), np.frombuffer(r[3], dtype=np.float32) if r[3] else None) for r in rows]

    def rules(self, doc_ids: Iterable[str]) -> dict[str, list[CompiledRule]]:
        """The compiled rules of these documents' current revisions, each document's in its own order."""
        rows = self._where_in(
            "SELECT doc_id, ord, rule_json"
            f" FROM rules WHERE doc_id IN ({{marks}}) AND rev = {_CURRENT.format(t='rules')}",
            doc_ids,
        )
        out: dict[str, list[CompiledRule]] = {}
        for doc_id, _, raw in sorted(rows, key=lambda r: (r[0], r[1])):
            out.setdefault(doc_id, []).append(CompiledRule.model_validate_json(raw))
        return out

    def rev_rules(self, doc_id: str, rev: int | None = None) -> list[CompiledRule]:
        """The compiled rules of one revision of a document (default: the one readers see)."""
        if rev is None:
            return self.rules([doc_id]).get(doc_id, [])
        rows = self._db.execute("SELECT rule_json FROM rules WHERE doc_id=? AND rev=? ORDER BY ord", (doc_id, rev))
        return [CompiledRule.model_validate_json(r[0]) for r in rows]

    def docs_governing(self, services: Iterable[str]) -> list[str]:
        """Served documents with a compiled rule whose scope names one of these services."""
        rows = self._where_in(
            "SELECT DISTINCT doc_id FROM rule_services"
            f" WHERE service IN ({{marks}}) AND rev = {_SERVED.format(t='rule_services')}",
            sorted(set(services)),
        )
        return sorted(r[0] for r in rows)

    def code_facts(self, codes: Iterable[str]) -> list[CodeFact]:
        """What the served documents' code tables say these codes are."""
        rows = self._where_in(
            f"SELECT fact_json FROM code_facts WHERE code IN ({{marks}}) AND rev = {_SERVED.format(t='code_facts')}",
            sorted({c.upper() for c in codes}),
        )
        return [CodeFact.model_validate_json(r[0]) for r in rows]

    def docs_with_codes(self, codes: Iterable[str], *, served: bool = False) -> dict[str, set[str]]:
        """doc id -> those of the given codes that its metadata lists (served revisions only if asked)."""
        rev = _SERVED if served else _CURRENT
        out: dict[str, set[str]] = {}
        for doc_id, code in self._where_in(
            f"SELECT doc_id, code FROM doc_codes WHERE code IN ({{marks}}) AND rev = {rev.format(t='doc_codes')}",
            sorted({c.upper() for c in codes}),
        ):
            out.setdefault(doc_id, set()).add(code)
        return out
