"""The SQLite manifest: what is indexed, with content hashes, chunk texts and structured evidence.

It is the source of truth the vector store and BM25 index are reconciled against. One document is
replaced in one transaction, so the manifest never holds half a document; the stored chunk texts
let answer validation and evals re-check quotes against exactly what was indexed.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.chunking import Chunk
from ingest.documents import DocumentMeta, LoadedDocument
from ingest.evidence import Criterion, RatingRow, RatingTable

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, path TEXT NOT NULL, content_hash TEXT NOT NULL, fmt TEXT NOT NULL,
    meta_json TEXT NOT NULL, status TEXT NOT NULL, n_chunks INTEGER NOT NULL, ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL, kind TEXT NOT NULL,
    section TEXT NOT NULL, text TEXT NOT NULL, embed_text TEXT NOT NULL, terms TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS rating_tables (
    table_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, caption TEXT NOT NULL, vector BLOB
);
CREATE INDEX IF NOT EXISTS rating_tables_doc ON rating_tables(doc_id);
CREATE TABLE IF NOT EXISTS rating_rows (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, chunk_id TEXT NOT NULL,
    table_id TEXT NOT NULL, variant TEXT NOT NULL, grp TEXT, procedure TEXT NOT NULL,
    rating INTEGER NOT NULL, scale_max INTEGER NOT NULL, comment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rating_rows_doc ON rating_rows(doc_id);
CREATE TABLE IF NOT EXISTS criteria (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, chunk_id TEXT NOT NULL,
    procedure TEXT NOT NULL, codes TEXT NOT NULL, section TEXT NOT NULL, criterion TEXT NOT NULL,
    polarity TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS criteria_doc ON criteria(doc_id);
CREATE TABLE IF NOT EXISTS doc_codes (doc_id TEXT NOT NULL, code TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS doc_codes_code ON doc_codes(code);
"""


@dataclass
class DocRecord:
    meta: DocumentMeta
    path: str
    content_hash: str
    n_chunks: int
    ingested_at: str

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id

    @property
    def status(self) -> str:
        return self.meta.status.value


@dataclass
class StoredChunk:
    chunk_id: str
    doc_id: str
    ordinal: int
    kind: str
    section: str
    text: str


class Manifest:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO info VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        self._db.commit()

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

    # ------------------------------------------------------------------ info
    def get_info(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM info WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_info(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO info VALUES (?, ?)", (key, value))

    # ------------------------------------------------------------- documents
    def _doc(self, row: tuple) -> DocRecord:
        return DocRecord(
            meta=DocumentMeta.model_validate_json(row[1]),
            path=row[0],
            content_hash=row[2],
            n_chunks=row[3],
            ingested_at=row[4],
        )

    def get(self, doc_id: str) -> DocRecord | None:
        row = self._db.execute(
            "SELECT path, meta_json, content_hash, n_chunks, ingested_at FROM documents WHERE doc_id=?",
            (doc_id,),
        ).fetchone()
        return self._doc(row) if row else None

    def documents(self) -> list[DocRecord]:
        rows = self._db.execute(
            "SELECT path, meta_json, content_hash, n_chunks, ingested_at FROM documents ORDER BY doc_id"
        ).fetchall()
        return [self._doc(r) for r in rows]

    def statuses(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT doc_id, status FROM documents").fetchall())

    def count_documents(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def replace_document(
        self,
        doc: LoadedDocument,
        chunks: list[Chunk],
        chunk_terms: list[list[str]],
        tables: list[RatingTable],
        table_vectors: np.ndarray,
        rows: list[RatingRow],
        criteria: list[Criterion],
    ) -> None:
        """Swap in a document's new chunks and evidence atomically."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        doc_id = doc.meta.doc_id
        with self._tx() as db:
            self._delete(db, doc_id)
            db.execute(
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?)",
                (
                    doc_id,
                    doc.path,
                    doc.content_hash,
                    doc.fmt,
                    doc.meta.model_dump_json(),
                    doc.meta.status.value,
                    len(chunks),
                    now,
                ),
            )
            db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?)",
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
                    )
                    for c, t in zip(chunks, chunk_terms, strict=True)
                ],
            )
            db.executemany(
                "INSERT INTO rating_tables VALUES (?,?,?,?)",
                [
                    (t.table_id, doc_id, t.caption, table_vectors[i].astype(np.float32).tobytes())
                    for i, t in enumerate(tables)
                ],
            )
            db.executemany(
                "INSERT INTO rating_rows (doc_id, chunk_id, table_id, variant, grp, procedure, rating, scale_max,"
                " comment) VALUES (?,?,?,?,?,?,?,?,?)",
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
                    )
                    for r in rows
                ],
            )
            db.executemany(
                "INSERT INTO criteria (doc_id, chunk_id, procedure, codes, section, criterion, polarity)"
                " VALUES (?,?,?,?,?,?,?)",
                [
                    (
                        c.doc_id,
                        c.chunk_id,
                        c.procedure,
                        json.dumps(c.codes),
                        c.section,
                        c.criterion,
                        c.polarity,
                    )
                    for c in criteria
                ],
            )
            db.executemany(
                "INSERT INTO doc_codes VALUES (?, ?)",
                [(doc_id, c.upper()) for c in set(doc.meta.codes.all())],
            )

    @staticmethod
    def _delete(db: sqlite3.Connection, doc_id: str) -> None:
        for table in ("documents", "chunks", "rating_tables", "rating_rows", "criteria", "doc_codes"):
            db.execute(f"DELETE FROM {table} WHERE doc_id=?", (doc_id,))

    def delete_document(self, doc_id: str) -> None:
        with self._tx() as db:
            self._delete(db, doc_id)

    def set_status(self, doc_id: str, status: str) -> None:
        record = self.get(doc_id)
        if record is None:
            raise KeyError(doc_id)
        meta = DocumentMeta.model_validate({**record.meta.model_dump(), "status": status})
        with self._tx() as db:
            db.execute(
                "UPDATE documents SET status=?, meta_json=? WHERE doc_id=?",
                (meta.status.value, meta.model_dump_json(), doc_id),
            )

    # ---------------------------------------------------------------- chunks
    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT chunk_id FROM chunks")}

    def count_chunks(self, doc_id: str | None = None) -> int:
        if doc_id is None:
            return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
        return int(self._db.execute("SELECT COUNT(*) FROM chunks WHERE doc_id=?", (doc_id,)).fetchone()[0])

    def all_terms(self) -> tuple[list[str], list[list[str]], list[str]]:
        """(chunk ids, their BM25 terms, their doc ids) in a stable order."""
        rows = self._db.execute("SELECT chunk_id, terms, doc_id FROM chunks ORDER BY doc_id, ordinal").fetchall()
        return [r[0] for r in rows], [r[1].split() for r in rows], [r[2] for r in rows]

    def _where_in(self, sql: str, values: Iterable[str]) -> list[tuple]:
        """Run ``sql``, whose ``{marks}`` stands for an IN list, over the values in batches of 500."""
        items = list(values)
        rows: list[tuple] = []
        for start in range(0, len(items), 500):
            part = items[start : start + 500]
            rows += self._db.execute(sql.format(marks=",".join("?" * len(part))), part).fetchall()
        return rows

    def chunks(self, ids: Iterable[str]) -> dict[str, StoredChunk]:
        rows = self._where_in(
            "SELECT chunk_id, doc_id, ordinal, kind, section, text FROM chunks WHERE chunk_id IN ({marks})", ids
        )
        return {r[0]: StoredChunk(*r) for r in rows}

    def doc_chunks(self, doc_id: str) -> list[StoredChunk]:
        rows = self._db.execute(
            "SELECT chunk_id, doc_id, ordinal, kind, section, text FROM chunks WHERE doc_id=? ORDER BY ordinal",
            (doc_id,),
        ).fetchall()
        return [StoredChunk(*r) for r in rows]

    def chunk_terms(self, doc_id: str) -> dict[str, frozenset[str]]:
        """Each chunk's indexed terms (computed once at ingest), to pre-select chunks cheaply."""
        rows = self._db.execute("SELECT chunk_id, terms FROM chunks WHERE doc_id=?", (doc_id,)).fetchall()
        return {r[0]: frozenset(r[1].split()) for r in rows}

    def embed_texts(self, doc_id: str) -> list[tuple[str, str]]:
        rows = self._db.execute(
            "SELECT chunk_id, embed_text FROM chunks WHERE doc_id=? ORDER BY ordinal", (doc_id,)
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    # -------------------------------------------------------------- evidence
    def rating_rows(self, doc_ids: Iterable[str]) -> list[RatingRow]:
        rows = self._where_in(
            "SELECT doc_id, chunk_id, table_id, variant, grp, procedure, rating, scale_max, comment, id"
            " FROM rating_rows WHERE doc_id IN ({marks})",
            doc_ids,
        )
        return [RatingRow(*r[:-1]) for r in sorted(rows, key=lambda r: r[-1])]

    def rating_tables(self, doc_ids: Iterable[str]) -> list[tuple[RatingTable, np.ndarray | None]]:
        rows = self._where_in(
            "SELECT table_id, doc_id, caption, vector FROM rating_tables WHERE doc_id IN ({marks})", doc_ids
        )
        return [(RatingTable(r[0], r[1], r[2]), np.frombuffer(r[3], dtype=np.float32) if r[3] else None) for r in rows]

    def criteria(self, doc_ids: Iterable[str]) -> list[Criterion]:
        rows = self._where_in(
            "SELECT doc_id, chunk_id, procedure, codes, section, criterion, polarity, id"
            " FROM criteria WHERE doc_id IN ({marks})",
            doc_ids,
        )
        return [
            Criterion(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6]) for r in sorted(rows, key=lambda r: r[-1])
        ]

    def docs_with_codes(self, codes: Iterable[str]) -> dict[str, set[str]]:
        """doc id -> those of the given codes that its metadata lists."""
        out: dict[str, set[str]] = {}
        for doc_id, code in self._where_in(
            "SELECT doc_id, code FROM doc_codes WHERE code IN ({marks})", sorted({c.upper() for c in codes})
        ):
            out.setdefault(doc_id, set()).add(code)
        return out
