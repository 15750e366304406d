"""A data directory made before revisions existed (manifest schema 1) upgrades in place and keeps answering.

``tests/fixtures/schema1/manifest.sql`` is a dump of a manifest written by the pre-revision code
(see its header). Its Chroma side is rebuilt here exactly as that code wrote it: one vector per
chunk id with the document's status in the metadata. The upgrade must reuse every vector.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from assistant.service import Assistant
from core.records import Status
from core.settings import Settings
from ingest.pipeline import ingest_paths
from store.embedders import build_embedder
from store.manifest import SCHEMA_VERSION
from store.store import Store
from store.vector_store import build_vector_store
from tests.conftest import FIXTURE_CORPUS, FIXTURES

SCHEMA1_SQL = FIXTURES / "schema1" / "manifest.sql"


class CountingEmbedder:
    """Wraps the real embedder and counts the texts it embeds."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.texts = 0

    def embed(self, texts):
        self.texts += len(texts)
        return self.inner.embed(texts)


def _schema1_home(home: Path) -> tuple[Settings, set[str]]:
    settings = Settings(home=home)
    home.mkdir(parents=True)
    db = sqlite3.connect(settings.manifest_path)
    db.executescript(SCHEMA1_SQL.read_text())
    metas = {d: json.loads(m) for d, m in db.execute("SELECT doc_id, meta_json FROM documents")}
    rows = db.execute("SELECT chunk_id, doc_id, ordinal, kind, section, embed_text FROM chunks").fetchall()
    db.close()
    embedder = build_embedder(settings.embedder)
    vectors = build_vector_store("chroma", settings.chroma_dir, settings.collection, embedder.name)
    vectors.upsert(
        [r[0] for r in rows],
        embedder.embed([r[5] for r in rows]),
        [
            {
                "doc_id": r[1],
                "status": metas[r[1]]["status"],
                "title": metas[r[1]]["title"],
                "publisher": metas[r[1]]["publisher"],
                "year": metas[r[1]]["year"] or 0,
                "version": metas[r[1]]["version"],
                "codes": "",
                "kind": r[3],
                "ordinal": r[2],
                "section": r[4],
            }
            for r in rows
        ],
    )
    return settings, {r[0] for r in rows}


@pytest.mark.slow
def test_a_schema1_index_upgrades_in_place_reuses_every_vector_and_answers(tmp_path):
    settings, old_ids = _schema1_home(tmp_path / "home")
    counting = CountingEmbedder(build_embedder(settings.embedder))
    store = Store(settings, embedder=counting)
    assert store.manifest.get_info("schema_version") == SCHEMA_VERSION
    revisions = {r.doc_id: (r.rev, r.status, r.served) for r in store.manifest.documents()}
    assert revisions == {
        "fx-appendicitis-imaging": (1, "approved", True),
        "fx-headache-imaging": (1, "under_review", False),
        "fx-hypertension-screening": (1, "approved", True),
        "fx-knee-arthroscopy-policy": (1, "approved", True),
    }
    assert store.manifest.chunk_ids() == old_ids == store.vectors.ids()

    # The evalset runner's path: ingest the same corpus as approved. The new ingest version re-compiles
    # every document, but no chunk is embedded again: only the rating-table captions the schema-1 index
    # stored without a vector (NULL) are embedded, once.
    null_tables = SCHEMA1_SQL.read_text().count('INSERT INTO "rating_tables"')
    assert null_tables == SCHEMA1_SQL.read_text().count(",NULL);")
    report = ingest_paths(store, [FIXTURE_CORPUS], status=Status.approved, approved_by="test-editor")
    assert not report.failed and report.chunks_embedded == 0 and counting.texts == null_tables
    counting.texts = 0
    again = ingest_paths(store, [FIXTURE_CORPUS], status=Status.approved, approved_by="test-editor")
    assert not again.failed and counting.texts == 0  # now stored: a second ingest embeds nothing
    # Re-processed in place (same revisions), the under-review one approved as the runner asked.
    assert sorted(report.updated) == sorted(revisions) and not report.added
    assert store.vectors.ids() == old_ids
    assert [(e.from_status, e.to_status) for e in store.manifest.history("fx-headache-imaging")] == [
        ("under_review", "approved")
    ]

    answer = Assistant(settings, store=store).ask("Thunderclap headache, worried about SAH. Non-con head CT?")
    assert answer.determination.value == "indicated"
    assert answer.references and {r.cited_as for r in answer.references} == {"fx-headache-imaging@1"}
    store.close()
    reopened = Store(settings)  # a second open is a no-op
    assert reopened.manifest.chunk_ids() == old_ids and reopened.manifest.served_revisions()["fx-headache-imaging"] == 1
