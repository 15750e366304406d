"""Contract suites every backend passes: vector stores and answer engines.

``InMemoryVectorStore`` and ``FakeEngine`` are test doubles (the fake engine obeys the schema and
cites the first retrieved chunk verbatim); the real backends are Chroma and the offline engine.
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.compose import Draft
from assistant.engines import EngineRequest, UnknownEngineError, build_engine
from assistant.query import parse_question
from assistant.retrieval import retrieve
from assistant.schema import Answer, Determination
from assistant.sentences import split_sentences
from ingest.store import Store
from ingest.vector_store import ChromaVectorStore, InMemoryVectorStore


@pytest.fixture(params=["chroma", "memory"])
def vector_store(request, tmp_path):
    if request.param == "chroma":
        return ChromaVectorStore(tmp_path / "chroma", "contract_test", "unit-test-embedder")
    return InMemoryVectorStore()


def _vec(*xs: float) -> np.ndarray:
    v = np.asarray(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_vector_store_upsert_query_delete(vector_store):
    vector_store.upsert(
        ["a1", "a2", "b1"],
        np.stack([_vec(1, 0, 0), _vec(0.9, 0.1, 0), _vec(0, 1, 0)]),
        [
            {"doc_id": "a", "status": "approved"},
            {"doc_id": "a", "status": "approved"},
            {"doc_id": "b", "status": "submitted"},
        ],
    )
    assert vector_store.count() == 3 and vector_store.count("a") == 2
    assert [i for i, _ in vector_store.query(_vec(1, 0, 0), 3)] == ["a1", "a2"]  # approved only
    assert {i for i, _ in vector_store.query(_vec(0, 1, 0), 3, status=None)} == {"a1", "a2", "b1"}
    vector_store.set_status("b", "approved")
    assert vector_store.query(_vec(0, 1, 0), 1)[0][0] == "b1"
    vector_store.upsert(["a1"], np.stack([_vec(1, 0, 0)]), [{"doc_id": "a", "status": "approved"}])
    assert vector_store.count() == 3  # upsert never duplicates
    vector_store.delete_doc("a")
    assert vector_store.ids() == {"b1"}
    vector_store.delete_ids(["b1"])
    assert vector_store.count() == 0 and vector_store.query(_vec(1, 0, 0), 3) == []


def test_vector_store_returns_the_stored_vectors_of_existing_ids_only(vector_store):
    vector_store.upsert(["a1", "a2"], np.stack([_vec(1, 0, 0), _vec(0, 1, 0)]), [{"doc_id": "a"}, {"doc_id": "a"}])
    got = vector_store.embeddings(["a2", "missing"])
    assert set(got) == {"a2"} and np.allclose(got["a2"], _vec(0, 1, 0), atol=1e-6)


class FakeEngine:
    """Test double: cites the first sentence of the best chunk, verdict conditional."""

    name = "fake"

    def answer(self, request: EngineRequest) -> Answer:
        draft = Draft(request.store, request.question.text, self.name)
        hit = request.retrieval.hits[0]
        draft.add_bullet("Evidence", split_sentences(hit.chunk.text)[0], hit.chunk)
        return draft.build(
            Determination.conditional, "Conditional (fake).", retrieved_doc_ids=request.retrieval.doc_ids, timings={}
        )


@pytest.mark.parametrize("engine", [build_engine("offline"), FakeEngine()], ids=["offline", "fake"])
def test_every_engine_returns_an_answer_that_revalidates(engine, fixture_settings):
    store = Store(fixture_settings)
    question = parse_question("Thunderclap headache, worried about SAH. Non-con head CT?")
    answer = engine.answer(EngineRequest(question, retrieve(store, question), store))
    chunks = {c.chunk_id: c.text for c in store.manifest.chunks({r.chunk_id for r in answer.references}).values()}
    again = Answer.model_validate(answer.model_dump(), context={"chunks": chunks})
    assert again.references and again.engine == engine.name


def test_an_unknown_engine_is_a_clear_error():
    with pytest.raises(UnknownEngineError, match="available: offline"):
        build_engine("gpt-17")
