"""Chroma in client/server mode: a real `chroma run` process, real MiniLM, real answers.

The answer given from a Chroma server must equal the one given from the embedded store over the
same corpus, and several GuideQA stores sharing one server and one data directory must see each
other's ingests (BM25 and statuses reload when the manifest says they changed).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.service import Assistant
from core.records import Status
from core.settings import Settings
from ingest.pipeline import ingest_paths
from store.store import Store
from store.vector_store import ChromaServerError, chroma_client
from tests.conftest import FIXTURE_CORPUS
from tests.servers import chroma_server, free_port

QUESTIONS = (
    "Is CT head without contrast appropriate for sudden severe thunderclap headache with suspected subarachnoid"
    " hemorrhage?",
    "8-year-old with right lower quadrant pain, suspected appendicitis. Ultrasound?",
    "Is CPT 29881 indicated for a patient with knee osteoarthritis without mechanical symptoms?",
)


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("chroma-server")
    with chroma_server(data, tmp_path_factory.mktemp("chroma-log") / "server.log") as url:
        yield url


def _comparable(answer_json: dict) -> dict:
    answer_json.pop("timings", None)
    return answer_json


def test_answer_from_a_chroma_server_equals_the_embedded_answer(
    chroma_url: str, fixture_settings: Settings, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home", chroma_url=chroma_url, collection="server_equals_embedded")
    store = Store(settings)
    report = ingest_paths(store, [FIXTURE_CORPUS], status=Status.approved, approved_by="test-editor")
    assert not report.failed and report.chunks_embedded > 0
    assert not settings.chroma_dir.exists(), "server mode must not create an embedded Chroma folder"
    assert store.vectors.count() == store.manifest.count_chunks()

    served_by, embedded_in = Assistant(settings, store=store), Assistant(fixture_settings)
    for question in QUESTIONS:
        served, embedded = served_by.ask(question), embedded_in.ask(question)
        assert served.references, f"the server-backed store found nothing to cite for {question!r}"
        assert _comparable(served.model_dump(mode="json")) == _comparable(embedded.model_dump(mode="json"))


def test_two_stores_sharing_a_server_see_each_others_ingests(chroma_url: str, tmp_path: Path) -> None:
    """Two Store objects stand for two GuideQA processes: one data directory, one Chroma server."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    files = sorted(FIXTURE_CORPUS.iterdir())
    first, rest = files[:1], files[1:]
    for f in first:
        shutil.copy(f, corpus / f.name)
    settings = Settings(home=tmp_path / "home", chroma_url=chroma_url, collection="two_processes")
    writer, reader = Store(settings), Store(settings)
    ingest_paths(writer, [corpus], status=Status.approved, approved_by="test-editor")
    before = set(reader.keywords.ids)
    assert before == writer.manifest.chunk_ids()
    assert set(reader.statuses().values()) == {"approved"}

    for f in rest:
        shutil.copy(f, corpus / f.name)
    report = ingest_paths(writer, [corpus], status=Status.approved, approved_by="test-editor")
    assert report.added
    after = set(reader.keywords.ids)
    assert after == writer.manifest.chunk_ids() and after > before, "the reader saw a stale keyword index"
    assert set(reader.statuses()) == set(writer.manifest.statuses())

    writer.set_status(report.added[0], "retired")
    assert reader.statuses()[report.added[0]] == "retired"
    assert not any(d == report.added[0] for d in reader.manifest.keyword_chunk_ids().values())
    assert set(reader.keywords.ids) == writer.manifest.served_chunk_ids()


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ChromaServerError, match="GUIDEQA_CHROMA_URL"):
        chroma_client(tmp_path, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ChromaServerError, match="not an http"):
        chroma_client(tmp_path, "ftp://example")
