"""Contract suites every backend passes: vector stores and answer engines.

``InMemoryVectorStore``, ``FakeEngine`` and the scripted LLM models are test doubles (each obeys the
schema and cites a retrieved chunk verbatim); the real backends are Chroma, the offline engine, the
``openai`` engine (here through the real client and HTTP against a scripted server; against a real
llama.cpp server in ``test_llm_server.py``) and the ``llamacpp`` engine running SmolLM2 when the
LLM extra is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.compose import Draft
from assistant.engines import EngineRequest, UnknownEngineError, build_engine
from assistant.engines.llm_base import LLMEngine
from assistant.engines.openai_engine import OpenAIChatClient
from assistant.query import parse_question
from assistant.retrieval import retrieve
from assistant.schema import Answer, Determination
from assistant.sentences import split_sentences
from core.settings import Settings
from store.store import Store
from store.vector_store import ChromaVectorStore, InMemoryVectorStore
from tests.llm_doubles import ScriptedClient, ScriptedOpenAIServer, obedient_reply, obedient_server_reply
from tests.llm_extra import smollm2_or_skip


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
        draft = Draft(request.corpus, request.question.text, self.name)
        hit = request.retrieval.hits[0]
        draft.add_bullet("Evidence", split_sentences(hit.chunk.text)[0], hit.chunk)
        return draft.build(
            Determination.conditional, "Conditional (fake).", retrieved_doc_ids=request.retrieval.doc_ids, timings={}
        )


def _llamacpp_engine(home):
    model = smollm2_or_skip()
    settings = Settings(
        home=home, llamacpp_model_path=model, llamacpp_threads=1, llm_retries=0, llm_max_tokens=300, llm_max_sources=4
    )
    return build_engine("llamacpp", settings)


@pytest.fixture(params=["offline", "fake", "scripted-llm", "openai", "llamacpp"])
def engine(request, fixture_settings):
    """Every answer engine GuideQA has, and its test doubles, behind the same interface."""
    home = fixture_settings.home
    if request.param == "offline":
        yield build_engine("offline")
    elif request.param == "fake":
        yield FakeEngine()
    elif request.param == "scripted-llm":  # the LLM engine core with a schema-obeying scripted model
        yield LLMEngine(ScriptedClient([obedient_reply]), Settings(home=home), name="scripted-llm")
    elif request.param == "openai":  # the real openai client, over HTTP, against a scripted server
        with ScriptedOpenAIServer(obedient_server_reply) as server:
            yield build_engine("openai", Settings(home=home, llm_base_url=server.base_url, llm_model="scripted"))
    else:
        yield _llamacpp_engine(home)


def test_every_engine_returns_an_answer_that_revalidates(engine, fixture_settings):
    store = Store(fixture_settings)
    question = parse_question("Thunderclap headache, worried about SAH. Non-con head CT?")
    answer = engine.answer(EngineRequest(question, retrieve(store, question), store.manifest))
    chunks = {c.chunk_id: c.text for c in store.manifest.chunks({r.chunk_id for r in answer.references}).values()}
    again = Answer.model_validate(answer.model_dump(), context={"chunks": chunks})
    assert again.references
    # An LLM engine either answers itself or says it fell back to the offline engine, and why.
    assert again.engine == engine.name or (again.engine == f"{engine.name}→offline" and again.fallback)
    if not isinstance(engine, LLMEngine) or isinstance(engine.client, ScriptedClient | OpenAIChatClient):
        assert again.engine == engine.name and again.fallback is None  # doubles obey: no fallback


def test_an_unknown_engine_is_a_clear_error():
    with pytest.raises(UnknownEngineError, match="available: llamacpp, offline, openai"):
        build_engine("gpt-17")
