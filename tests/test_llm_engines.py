"""LLM engines: validation, retries, fallback, follow-up rewriting, configuration errors, wire format.

The model is a test double here (:mod:`tests.llm_doubles`); the store is the real fixture index
(Chroma + MiniLM). ``tests/test_llm_server.py`` runs the same engine against a real llama.cpp server.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from assistant.engines import ENGINES, EngineConfigError, EngineRequest, UnknownEngineError, build_engine
from assistant.engines.answer_json_schema import draft_schema
from assistant.engines.llm_base import LLMEngine, LLMError
from assistant.engines.offline import OfflineEngine
from assistant.engines.openai_engine import OpenAIEngine
from assistant.engines.prompt import data_lines
from assistant.query import parse_question
from assistant.retrieval import retrieve
from assistant.schema import Answer, Determination
from assistant.support import quote_in, supports
from core.settings import Settings
from store.store import Store
from tests.llm_doubles import (
    ScriptedClient,
    ScriptedOpenAIServer,
    obedient_reply,
    obedient_server_reply,
    refuse,
)

QUESTION = "Thunderclap headache, worried about SAH. Non-con head CT?"


@pytest.fixture(scope="module")
def store(fixture_settings):
    s = Store(fixture_settings)
    yield s
    s.close()


@pytest.fixture(scope="module")
def request_(store):
    question = parse_question(QUESTION)
    return EngineRequest(question, retrieve(store, question), store.manifest)


def _engine(script, settings: Settings, **kw) -> tuple[LLMEngine, ScriptedClient]:
    client = ScriptedClient(script, **kw)
    return LLMEngine(client, settings, name="scripted"), client


def _draft(text: str, sources: list[int], determination: str = "indicated") -> str:
    return json.dumps(
        {
            "bullets": [{"section": "Evidence", "text": text, "sources": sources}] if text else [],
            "criteria": [],
            "determination": determination,
            "headline": "Headline.",
            "related_questions": ["Next?"],
        }
    )


def _revalidates(answer: Answer, store: Store) -> None:
    chunks = {c.chunk_id: c.text for c in store.manifest.chunks({r.chunk_id for r in answer.references}).values()}
    Answer.model_validate(answer.model_dump(), context={"chunks": chunks})


def test_an_obedient_model_answer_becomes_a_validated_answer_with_references_from_the_chunks(request_, store):
    engine, client = _engine([obedient_reply], Settings(home=store.settings.home))
    answer = engine.answer(request_)
    assert answer.engine == "scripted" and answer.fallback is None
    assert answer.determination == Determination.conditional
    assert len(client.calls) == 1
    [bullet] = answer.sections[0].bullets
    ref = answer.references[0]
    assert bullet.citations == [1] and ref.chunk_id in {h.chunk_id for h in request_.retrieval.hits} | {
        r.chunk_id for r in OfflineEngine().answer(request_).references
    }
    chunk = store.manifest.chunks([ref.chunk_id])[ref.chunk_id]
    assert quote_in(ref.quote, chunk.text) and supports(bullet.text, chunk.text)
    assert answer.timings["llm_attempts"] == 1.0
    _revalidates(answer, store)


def test_a_rejected_reply_goes_back_with_its_problems_then_the_fixed_reply_is_used(request_, store):
    engine, client = _engine([_draft("Something.", [9]), obedient_reply], Settings(home=store.settings.home))
    answer = engine.answer(request_)
    assert answer.engine == "scripted" and len(client.calls) == 2
    second = client.calls[1][0]
    assert second[-2]["role"] == "assistant" and second[-2]["content"] == _draft("Something.", [9])
    assert "cites source 9, but only sources 1-" in second[-1]["content"]


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (_draft("The moon is made of green cheese and rated 9.", [1]), "is not stated by source 1"),
        (_draft("Non-contrast CT head is usually appropriate.", []), "has no source number"),
        (_draft("", [], determination="indicated"), "needs at least one bullet"),
        ('{"bullets": [{"section": "Evidence", "text": "Non-contrast CT', "cut off at the token limit"),
        ('{"bullets": [] oops', "not valid JSON"),
        (_draft("Non-contrast CT head is usually appropriate.", [1], determination="maybe"), "determination: Input"),
    ],
    ids=["unsupported", "missing-citation", "verdict-without-evidence", "cut-off", "broken-json", "schema-violation"],
)
def test_a_model_that_never_fixes_its_reply_falls_back_to_the_offline_answer_and_says_why(
    request_, store, reply, problem
):
    settings = Settings(home=store.settings.home, llm_retries=2)
    engine, client = _engine([reply], settings)
    answer = engine.answer(request_)
    offline = OfflineEngine().answer(request_)
    assert len(client.calls) == 3  # first try + llm_retries
    assert problem in client.calls[1][0][-1]["content"]
    assert answer.engine == "scripted→offline"
    assert answer.fallback and "no valid answer after 3 attempts" in answer.fallback and problem in answer.fallback
    assert answer.determination == offline.determination and answer.references == offline.references
    _revalidates(answer, store)


def test_an_unreachable_model_falls_back_at_once(request_, store):
    engine, client = _engine([LLMError("connection refused")], Settings(home=store.settings.home))
    answer = engine.answer(request_)
    assert len(client.calls) == 1
    assert answer.engine == "scripted→offline" and "could not be reached: connection refused" in answer.fallback


def test_insufficient_evidence_without_bullets_is_a_valid_llm_answer(request_, store):
    engine, _ = _engine([_draft("", [], determination="insufficient_evidence")], Settings(home=store.settings.home))
    answer = engine.answer(request_)
    assert answer.engine == "scripted" and answer.determination == Determination.insufficient_evidence
    assert answer.references == []


def test_a_criterion_is_checked_like_a_bullet(request_, store):
    reply = json.dumps(
        {
            "bullets": [],
            "criteria": [{"criterion": "Patient is a wizard.", "status": "met", "reason": "stated", "sources": [1]}],
            "determination": "indicated",
            "headline": "Indicated.",
            "related_questions": [],
        }
    )
    engine, client = _engine([reply, obedient_reply], Settings(home=store.settings.home))
    engine.answer(request_)
    assert "criterion 1 is not stated by source 1" in client.calls[1][0][-1]["content"]


# ---------------------------------------------------------------------------- follow-ups
def test_a_follow_up_is_rewritten_into_a_standalone_question(store):
    engine, client = _engine([obedient_reply], Settings(home=store.settings.home))
    rewritten = engine.rewrite_followup(["Is 64635 indicated after a lumbar fusion?"], "and 64636?")
    assert rewritten == "and 64636? (following: Is 64635 indicated after a lumbar fusion?)"
    assert client.calls[0][1]["required"] == ["question"]


@pytest.mark.parametrize("reply", ['{"question": ""}', "not json", LLMError("down")], ids=["empty", "garbage", "down"])
def test_a_follow_up_the_model_cannot_rewrite_is_left_to_the_caller(store, reply):
    engine, _ = _engine([reply], Settings(home=store.settings.home))
    assert engine.rewrite_followup(["Is 64635 indicated?"], "and 64636?") is None


def test_a_first_question_needs_no_rewrite(store):
    engine, client = _engine([obedient_reply], Settings(home=store.settings.home))
    assert engine.rewrite_followup([], "  Is 64635 indicated?  ") == "Is 64635 indicated?"
    assert client.calls == []


# ------------------------------------------------------------------------ configuration
def test_the_openai_engine_without_configuration_names_the_variables_to_set(tmp_path):
    with pytest.raises(EngineConfigError, match="GUIDEQA_LLM_BASE_URL and GUIDEQA_LLM_MODEL"):
        build_engine("openai", Settings(home=tmp_path))
    with pytest.raises(UnknownEngineError, match="GUIDEQA_LLM_MODEL"):  # callers that catch the base see it
        build_engine("openai", Settings(home=tmp_path, llm_base_url="http://127.0.0.1:9/v1"))


def test_the_llamacpp_engine_without_a_model_names_the_variable_to_set(tmp_path):
    with pytest.raises(EngineConfigError, match="GUIDEQA_LLAMACPP_MODEL_PATH"):
        build_engine("llamacpp", Settings(home=tmp_path))
    with pytest.raises(EngineConfigError, match="no such file"):
        build_engine("llamacpp", Settings(home=tmp_path, llamacpp_model_path=tmp_path / "missing.gguf"))


def test_engines_are_configured_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GUIDEQA_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("GUIDEQA_LLM_MODEL", "m")
    monkeypatch.setenv("GUIDEQA_LLM_API_KEY", "sk-secret")
    engine = build_engine("openai")
    assert isinstance(engine, OpenAIEngine) and engine.client.model == "m"
    assert "sk-secret" not in repr(Settings()) and "sk-secret" not in Settings().model_dump_json()


def test_importing_the_engines_imports_no_llm_package():
    code = "import sys, assistant.engines; print(sorted(m for m in ('openai', 'llama_cpp') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert {"offline", "openai", "llamacpp"} <= set(ENGINES)


# ------------------------------------------------------------------ openai wire format
def _openai(server: ScriptedOpenAIServer, home, **kw) -> OpenAIEngine:
    settings = Settings(home=home, llm_base_url=server.base_url, llm_model="test-model", **kw)
    engine = build_engine("openai", settings)
    assert isinstance(engine, OpenAIEngine)
    return engine


@pytest.mark.parametrize("status", [400, 500], ids=["bad-request", "llama-cpp-python-500"])
def test_openai_engine_sends_the_schema_and_key_and_remembers_the_format_the_server_takes(request_, store, status):
    with ScriptedOpenAIServer(refuse("json_schema", status)) as server:
        engine = _openai(server, store.settings.home, llm_api_key="sk-test", llm_http_retries=0)
        first = engine.answer(request_)
        second = engine.answer(request_)
    assert first.engine == second.engine == "openai" and first.fallback is None
    kinds = [r["response_format"]["type"] for r in server.requests]
    assert kinds == ["json_schema", "json_object", "json_object"]  # refused once, then remembered
    n_sources = len(data_lines(server.requests[1]["messages"][1]["content"], "DATA")) - 1
    assert server.requests[1]["response_format"]["schema"] == draft_schema(n_sources)
    assert server.requests[0]["response_format"]["json_schema"]["strict"] is True
    assert server.requests[1]["model"] == "test-model" and server.requests[1]["temperature"] == 0.0
    assert server.headers[1]["authorization"] == "Bearer sk-test"


def test_openai_engine_uses_json_mode_with_the_schema_in_the_prompt_when_nothing_else_works(request_, store):
    def json_mode_only(body):
        if body["response_format"] != {"type": "json_object"}:
            return 400, {"error": {"message": "unsupported response_format"}}
        return obedient_server_reply(body)

    with ScriptedOpenAIServer(json_mode_only) as server:
        answer = _openai(server, store.settings.home).answer(request_)
    assert answer.engine == "openai"
    assert len(server.requests) == 3
    assert server.requests[-1]["messages"][-1]["content"].startswith("JSON Schema of the reply:")


def test_openai_engine_retries_server_errors_then_falls_back(request_, store):
    with ScriptedOpenAIServer(lambda body: (500, {"error": {"message": "boom"}})) as server:
        answer = _openai(server, store.settings.home, llm_http_retries=1).answer(request_)
    assert len(server.requests) == 2  # the first try and one HTTP retry
    assert answer.engine == "openai→offline" and "InternalServerError" in answer.fallback


def test_openai_engine_times_out_then_falls_back(request_, store):
    with ScriptedOpenAIServer(obedient_server_reply, delay_s=2.0) as server:
        answer = _openai(server, store.settings.home, llm_timeout_s=0.3, llm_http_retries=0).answer(request_)
    assert answer.engine == "openai→offline" and "Timeout" in answer.fallback


def test_openai_engine_with_nothing_listening_falls_back(request_, store, tmp_path):
    settings = Settings(home=tmp_path, llm_base_url="http://127.0.0.1:9/v1", llm_model="m", llm_http_retries=0)
    answer = build_engine("openai", settings).answer(request_)
    assert answer.engine == "openai→offline" and "APIConnectionError" in answer.fallback
