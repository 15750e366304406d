"""BM25 and statuses stay consistent when several processes share one data directory.

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
from store.store import BM25_GENERATION, Store
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


def test_a_reader_reloads_bm25_only_when_the_generation_changes(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    vectors = InMemoryVectorStore()
    writer = Store(settings, vectors=vectors)
    ingest_paths(writer, [_corpus(tmp_path, 1)], status=Status.approved, approved_by="test-editor")
    reader = Store(settings, vectors=vectors)
    first = reader.bm25
    assert first.generation == writer.manifest.get_info(BM25_GENERATION) is not None
    assert reader.bm25 is first, "an unchanged manifest must not reload the index"

    ingest_paths(writer, [_corpus(tmp_path, 99)], status=Status.approved, approved_by="test-editor")
    second = reader.bm25
    assert second is not first and second.generation != first.generation
    assert set(second.ids) == writer.manifest.chunk_ids()


def test_an_index_on_disk_of_another_generation_is_rebuilt_from_the_manifest(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    store = Store(settings, vectors=InMemoryVectorStore())
    ingest_paths(store, [_corpus(tmp_path, 1)], status=Status.approved, approved_by="test-editor")
    stale = tmp_path / "stale-bm25"
    shutil.copytree(settings.bm25_dir, stale)
    ingest_paths(store, [_corpus(tmp_path, 99)], status=Status.approved, approved_by="test-editor")
    shutil.rmtree(settings.bm25_dir)
    shutil.copytree(stale, settings.bm25_dir)  # e.g. a host whose copy of bm25/ lags the manifest

    other = Store(settings, vectors=InMemoryVectorStore())
    assert set(other.bm25.ids) == store.manifest.chunk_ids()
    assert other.bm25.generation == store.manifest.get_info(BM25_GENERATION)


def test_a_status_change_by_another_process_reaches_the_approved_mask(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    vectors = InMemoryVectorStore()
    writer = Store(settings, vectors=vectors)
    report = ingest_paths(writer, [_corpus(tmp_path, 2)], status=Status.approved, approved_by="test-editor")
    reader = Store(settings, vectors=vectors)
    assert reader.approved_mask().all()
    retired = report.added[0]
    writer.set_status(retired, "retired")
    mask = reader.approved_mask()
    for doc_id, allowed in zip(reader.bm25.doc_ids, mask, strict=True):
        assert allowed == (0.0 if doc_id == retired else 1.0)
