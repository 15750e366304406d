"""Ingest streams: it never holds the corpus in memory, and a file changing between its two passes is handled.

Unit tests of the pipeline's logic: the hashing embedder and the in-memory vector store are test
doubles (real Chroma and MiniLM are covered by test_ingest.py and the benchmark).
"""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import ingest.pipeline as pipeline
from core.records import LoadedDocument, Status
from core.settings import Settings
from ingest.pipeline import ingest_paths
from store.store import Store
from store.vector_store import InMemoryVectorStore
from tests.conftest import FIXTURE_CORPUS


def _store(tmp_path: Path) -> Store:
    settings = Settings(home=tmp_path / "home", embedder="hashing", vector_store="memory")
    return Store(settings, vectors=InMemoryVectorStore())


def _corpus(tmp_path: Path, copies: int) -> Path:
    """The fixture corpus repeated ``copies`` times under distinct doc_ids."""
    out = tmp_path / "corpus"
    out.mkdir()
    sources = sorted(p for p in FIXTURE_CORPUS.iterdir() if p.suffix == ".md")
    for k in range(copies):
        for src in sources:
            text = src.read_text(encoding="utf-8")
            assert "\ndoc_id: " in text, src
            text = text.replace("\ndoc_id: ", f"\ndoc_id: c{k}-", 1)
            (out / f"c{k}-{src.name}").write_text(text, encoding="utf-8")
    return out


def _live_documents() -> int:
    return sum(isinstance(o, LoadedDocument) for o in gc.get_objects())


def test_no_more_than_one_document_is_held_in_memory_whatever_the_corpus_size(tmp_path, monkeypatch) -> None:
    corpus = _corpus(tmp_path, copies=3)
    files = len(list(corpus.iterdir()))
    assert files >= 9
    peak = 0
    real_load = pipeline.load_document

    def counting_load(*args, **kwargs):
        nonlocal peak
        peak = max(peak, _live_documents())  # documents alive when the next one is read
        return real_load(*args, **kwargs)

    monkeypatch.setattr(pipeline, "load_document", counting_load)
    store = _store(tmp_path)
    report = ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    assert len(report.added) == files and not report.failed
    assert peak <= 1, f"{peak} documents held at once while reading {files}"


def test_a_file_that_breaks_between_the_passes_fails_alone_and_keeps_its_indexed_revision(tmp_path, monkeypatch):
    corpus = _corpus(tmp_path, copies=1)
    store = _store(tmp_path)
    ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    victim = sorted(corpus.iterdir())[0]
    doc_id = next(line.split(": ", 1)[1] for line in victim.read_text().splitlines() if line.startswith("doc_id: "))
    before = store.manifest.head(doc_id)
    victim.write_text(victim.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    seen: dict[Path, int] = {}
    real_load = pipeline.load_document

    def breaking_load(path, *args, **kwargs):
        seen[path] = seen.get(path, 0) + 1
        if path == victim.resolve() and seen[path] == 2:  # pass 2: the editor saved a broken file meanwhile
            victim.write_text("", encoding="utf-8")
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "load_document", breaking_load)
    report = ingest_paths(store, [corpus])
    assert [p for p, _ in report.failed] == [str(victim)]
    assert "is empty" in report.failed[0][1]
    assert store.manifest.head(doc_id) == before  # its approved revision still answers
    assert doc_id not in report.removed


def test_a_file_whose_doc_id_changes_between_the_passes_is_refused(tmp_path, monkeypatch) -> None:
    corpus = _corpus(tmp_path, copies=1)
    victim = sorted(corpus.iterdir())[0]
    real_load = pipeline.load_document
    calls: dict[Path, int] = {}

    def renaming_load(path, *args, **kwargs):
        calls[path] = calls.get(path, 0) + 1
        if path == victim.resolve() and calls[path] == 2:
            victim.write_text(victim.read_text(encoding="utf-8").replace("doc_id: c0-", "doc_id: other-", 1))
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "load_document", renaming_load)
    store = _store(tmp_path)
    report = ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    assert len(report.failed) == 1 and "changed its doc_id" in report.failed[0][1]
    assert len(report.added) == len(list(corpus.iterdir())) - 1
    assert not any(d.startswith("other-") for d in store.manifest.statuses())


def test_duplicate_ids_are_still_refused_from_the_first_pass(tmp_path) -> None:
    corpus = _corpus(tmp_path, copies=1)
    first = sorted(corpus.iterdir())[0]
    shutil.copy(first, corpus / "zz-duplicate.md")
    store = _store(tmp_path)
    report = ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    failed = sorted(Path(p).name for p, _ in report.failed)
    assert failed == sorted([first.name, "zz-duplicate.md"])
    assert all("is also used by" in m for _, m in report.failed)
