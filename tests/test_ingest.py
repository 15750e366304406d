"""Ingest against real Chroma and the packaged MiniLM: idempotent, replaces, deletes, survives crashes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.records import Status
from ingest.pipeline import ingest_paths
from store.store import Store
from tests.conftest import FIXTURE_CORPUS


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE_CORPUS, tmp_path / "corpus"))


def _consistent(store: Store) -> None:
    """Chroma holds exactly the manifest's chunks: no duplicates, no orphans."""
    assert store.vectors.ids() == store.manifest.chunk_ids()
    assert store.vectors.count() == store.manifest.count_chunks()


def test_reingesting_unchanged_documents_does_no_embedding_work(settings, corpus):
    store = Store(settings)
    first = ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    assert len(first.added) == 4 and first.chunks_embedded == store.vectors.count() > 0
    second = ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    assert second.chunks_embedded == 0 and len(second.unchanged) == 4 and not second.added
    _consistent(store)


def test_each_chunk_carries_its_document_metadata_and_section(settings, corpus):
    store = Store(settings)
    ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    chunks = store.manifest.doc_chunks("fx-knee-arthroscopy-policy")
    meta = store.vectors.metadata([c.chunk_id for c in chunks])
    assert len(meta) == len(chunks)
    first = meta[chunks[0].chunk_id]
    assert first["title"].startswith("Knee arthroscopy coverage policy") and first["version"] == "3"
    assert first["publisher"] == "GuideQA test fixtures" and first["year"] == 2022 and "29880" in first["codes"]
    assert any("Indications / Criteria" in m["section"] for m in meta.values())


def test_a_changed_document_replaces_all_of_its_chunks(settings, corpus):
    store = Store(settings)
    ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    doc = corpus / "fx-hypertension-screening.md"
    old_ids = {c.chunk_id for c in store.manifest.doc_chunks("fx-hypertension-screening")}
    text = doc.read_text().replace(
        "## Recommendations", "## Recommendations\n- Home readings help confirm the diagnosis."
    )
    doc.write_text(text)
    report = ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    assert report.updated == ["fx-hypertension-screening"]
    new_chunks = store.manifest.doc_chunks("fx-hypertension-screening")
    assert any("Home readings" in c.text for c in new_chunks)
    assert store.vectors.count("fx-hypertension-screening") == len(new_chunks)
    assert not (old_ids - {c.chunk_id for c in new_chunks}) & store.vectors.ids()
    _consistent(store)


def test_a_removed_document_loses_its_chunks(settings, corpus):
    store = Store(settings)
    ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    assert store.vectors.count("fx-knee-arthroscopy-policy") > 0
    (corpus / "fx-knee-arthroscopy-policy.md").unlink()
    report = ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    assert report.removed == ["fx-knee-arthroscopy-policy"]
    assert store.vectors.count("fx-knee-arthroscopy-policy") == 0
    assert store.manifest.get("fx-knee-arthroscopy-policy") is None
    assert store.manifest.rules(["fx-knee-arthroscopy-policy"]) == {}
    _consistent(store)


def test_a_malformed_edit_is_reported_and_keeps_the_last_good_version(settings, corpus):
    store = Store(settings)
    ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    before = store.manifest.count_chunks("fx-knee-arthroscopy-policy")
    (corpus / "fx-knee-arthroscopy-policy.md").write_text("---\ntitle: [broken\n---\n")
    report = ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    assert len(report.failed) == 1 and "fx-knee-arthroscopy-policy.md" in report.failed[0][1]
    assert store.manifest.count_chunks("fx-knee-arthroscopy-policy") == before
    _consistent(store)


class _CrashingEmbedder:
    """Wraps the real embedder and raises on the n-th call: a crash in the middle of ingestion."""

    def __init__(self, inner, crash_on_call: int) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.calls, self.crash_on_call = 0, crash_on_call

    def embed(self, texts):
        self.calls += 1
        if self.calls == self.crash_on_call:
            raise RuntimeError("simulated crash mid-ingest")
        return self.inner.embed(texts)


def test_a_crash_mid_ingest_loses_nothing_and_the_next_run_repairs(settings, corpus):
    real = Store(settings).embedder
    crashing = Store(settings, embedder=_CrashingEmbedder(real, crash_on_call=4))
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest_paths(crashing, [corpus], status=Status.approved, approved_by="test-editor")
    crashing.close()
    store = Store(settings)
    assert store.vectors.ids() >= store.manifest.chunk_ids()  # every committed chunk has its vector
    report = ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    assert not report.failed
    assert {d.doc_id for d in store.manifest.documents()} == {p.stem for p in corpus.iterdir()}
    _consistent(store)


def test_status_changes_without_reembedding(settings, corpus):
    store = Store(settings)
    ingest_paths(store, [corpus])  # the fixtures without a status default to submitted
    assert store.manifest.get("fx-headache-imaging").status == "submitted"
    report = ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    assert "fx-headache-imaging" in report.status_changed and report.chunks_embedded == 0
    hits = store.vectors.query(store.embedder.embed(["thunderclap headache"])[0], 5, status="approved")
    assert any(cid.startswith("fx-headache-imaging") for cid, _ in hits)


def test_two_files_with_one_doc_id_are_refused_by_name(settings, corpus):
    copy = corpus / "copy-of-knee.md"
    copy.write_text((corpus / "fx-knee-arthroscopy-policy.md").read_text())
    store = Store(settings)
    report = ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    # Neither file wins (a file sorting first could otherwise hijack another's doc_id): both are errors.
    assert sorted(Path(p).name for p, _ in report.failed) == ["copy-of-knee.md", "fx-knee-arthroscopy-policy.md"]
    assert all("doc_id 'fx-knee-arthroscopy-policy' is also used by" in m for _, m in report.failed)
    assert store.manifest.get("fx-knee-arthroscopy-policy") is None
    assert len(report.added) == len(list(corpus.iterdir())) - 2  # the rest of the folder is indexed
    _consistent(store)
