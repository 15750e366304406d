"""The keyword (BM25) index and statuses stay consistent when several processes share one data directory.

Unit tests of the reload logic only: the hashing embedder and in-memory vectors stand in for
MiniLM and Chroma (the real two-process case against a `chroma run` server is in
tests/test_chroma_server.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from core.records import Status
from core.settings import Settings
from ingest.pipeline import ingest_paths
from store.store import Store, reconcile
from store.vector_store import InMemoryVectorStore
from tests.conftest import FIXTURE_CORPUS


def _settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", embedder="hashing", vector_store="memory")


def _corpus(tmp_path: Path, n: int) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    for f in sorted(FIXTURE_CORPUS.iterdir())[:n]:
        shutil.copy(f, corpus / f.name)
    return corpus


def test_a_reader_sees_another_processes_ingest_in_the_keyword_index(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    vectors = InMemoryVectorStore()
    writer = Store(settings, vectors=vectors)
    ingest_paths(writer, [_corpus(tmp_path, 1)], status=Status.approved, approved_by="test-editor")
    reader = Store(settings, vectors=vectors)
    first = set(reader.keywords.ids)
    assert first == writer.manifest.served_chunk_ids()

    ingest_paths(writer, [_corpus(tmp_path, 99)], status=Status.approved, approved_by="test-editor")
    second = set(reader.keywords.ids)
    assert second > first and second == writer.manifest.chunk_ids()


def test_a_keyword_index_out_of_line_with_the_manifest_is_repaired_by_reconcile(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    store = Store(settings, vectors=InMemoryVectorStore())
    ingest_paths(store, [_corpus(tmp_path, 2)], status=Status.approved, approved_by="test-editor")
    with store.manifest._tx() as db:  # damage only a repair could cause (a hand edit, a restored table)
        db.execute("DELETE FROM keyword_rows")
        db.execute("DELETE FROM keyword_index")
    assert store.keywords.ids == []
    reconcile(store)
    assert set(store.keywords.ids) == store.manifest.served_chunk_ids()


def test_a_status_change_by_another_process_reaches_the_keyword_index(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    vectors = InMemoryVectorStore()
    writer = Store(settings, vectors=vectors)
    report = ingest_paths(writer, [_corpus(tmp_path, 2)], status=Status.approved, approved_by="test-editor")
    reader = Store(settings, vectors=vectors)
    assert set(reader.keywords.ids) == writer.manifest.chunk_ids()
    retired = report.added[0]
    writer.set_status(retired, "retired")
    indexed = reader.manifest.keyword_chunk_ids()
    assert indexed and retired not in indexed.values()
    assert set(indexed) == reader.manifest.served_chunk_ids()
