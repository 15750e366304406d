"""An LLM judging compiled criteria as structured output: checked, retried, re-settled, or the offline fallback.

The model is a scripted test double (:class:`tests.llm_doubles.ScriptedClient`, a fake for the logic
around a model) and the corpus is the in-memory :class:`tests.test_offline_engine.FakeCorpus` with the
hand-made policy compiled by the real compiler; ``tests/test_llm_server.py`` runs a real model.
"""

from __future__ import annotations

import json

from assistant.clinical.facts import extract_facts
from assistant.engines.answer_json_schema import CriteriaJudgements, criteria_schema, unbounded
from assistant.engines.base import EngineRequest
from assistant.engines.llm_base import LLMEngine, LLMError
from assistant.engines.llm_criteria import check_judgements, criteria_payload, judged_criteria
from assistant.engines.prompt import data_lines
from assistant.engines.rules_answer import decide_from_rules
from assistant.query import parse_question
from assistant.schema import CriterionStatus, Determination
from core.settings import Settings
from tests.llm_doubles import ScriptedClient
from tests.test_offline_engine import POLICY, POLICY_CHUNKS, FakeCorpus, _policy_rules, _record, _retrieval

QUESTION = (
    "Is 64635 indicated for axial low back pain for 6 months despite physical therapy, after two medial branch "
    "blocks at L4-5 with 90% relief each, with no prior spinal fusion, planned at L4-5?"
)


def _request(question: str = QUESTION) -> EngineRequest:
    corpus = FakeCorpus([_record("facet", POLICY, len(POLICY_CHUNKS))], POLICY_CHUNKS, _policy_rules())
    retrieval = _retrieval(POLICY_CHUNKS, "facet", code_docs={"facet": {"64635"}})
    return EngineRequest(parse_question(question), retrieval, corpus, facts=extract_facts(question))


def _criteria(request: EngineRequest) -> list[dict[str, object]]:
    typed = decide_from_rules(request)
    assert typed is not None
    return criteria_payload(judged_criteria(typed[0]))


def _reply(statuses: list[str], facts: list[list[str]]) -> str:
    return json.dumps(
        {
            "judgements": [
                {"criterion": i, "facts": f, "status": s, "reason": "as stated"}
                for i, (s, f) in enumerate(zip(statuses, facts, strict=True), start=1)
            ]
        }
    )


def _engine(script: list[object]) -> tuple[LLMEngine, ScriptedClient]:
    client = ScriptedClient(script)  # type: ignore[arg-type]
    return LLMEngine(client, Settings(), name="scripted"), client


def test_the_model_sees_the_compiled_criteria_as_data_and_a_bounded_schema():
    request = _request()
    engine, client = _engine([_reply(["met"] * 3, [["6 months"], ["90% relief each"], ["no prior spinal fusion"]])])
    engine.answer(request)
    messages, schema = client.calls[0]
    lines = [json.loads(x) for x in data_lines(messages[1]["content"], "DATA")]
    assert lines[0] == {"question": QUESTION}
    criteria = lines[1:]
    assert [c["criterion"] for c in criteria] == [1, 2, 3]
    assert {c["kind"] for c in criteria} == {"requirement", "exclusion"}
    assert all(c["text"] in POLICY_CHUNKS[0].text + POLICY_CHUNKS[1].text for c in criteria)
    assert schema["properties"]["judgements"]["items"]["properties"]["criterion"]["enum"] == [1, 2, 3]
    assert unbounded(criteria_schema(3)) == []


def test_judgements_that_quote_the_question_decide_and_the_verdict_follows_the_shared_rule():
    request = _request()
    order = [str(c["text"]) for c in _criteria(request)]
    facts = {
        "pain": ["6 months", "physical therapy"],
        "medial branch": ["two medial branch blocks at L4-5 with 90% relief each"],
        "fusion": ["no prior spinal fusion"],
    }
    quoted = [next(v for k, v in facts.items() if k in text.lower()) for text in order]
    engine, _ = _engine([_reply(["met"] * 3, quoted)])
    answer = engine.answer(request)
    assert answer.engine == "scripted" and answer.fallback is None
    assert answer.determination == Determination.indicated
    assert all(c.status == CriterionStatus.met and c.facts and c.rule_id for c in answer.criteria)

    # the model says a requirement is contradicted: the same rule settles not indicated
    not_met = ["not_met" if "medial branch" in t.lower() else "met" for t in order]
    engine, _ = _engine([_reply(not_met, quoted)])
    assert engine.answer(request).determination == Determination.not_indicated


def test_a_fact_the_question_does_not_state_is_sent_back_and_then_the_offline_answer_stands():
    request = _request()
    invented = _reply(["met"] * 3, [["12 months of pain"], ["three blocks"], ["never had surgery"]])
    engine, client = _engine([invented])
    answer = engine.answer(request)
    assert len(client.calls) == Settings().llm_retries + 1
    correction = client.calls[1][0][-1]["content"]
    assert "is not in the question" in correction
    assert answer.engine == "scripted→offline" and "no valid criteria judgement" in (answer.fallback or "")
    assert answer.determination == Determination.indicated  # the typed judge's own answer


def test_check_judgements_refuses_gaps_repeats_and_unsupported_decisions():
    reply = CriteriaJudgements.model_validate(
        {
            "judgements": [
                {"criterion": 1, "facts": [], "status": "met", "reason": ""},
                {"criterion": 1, "facts": [], "status": "unknown", "reason": ""},
            ]
        }
    )
    problems = check_judgements(reply, 3, "Is it covered?")
    assert any("quotes no fact" in p for p in problems)
    assert any("judged twice" in p for p in problems)
    assert any("2, 3 are not judged" in p for p in problems)


def test_an_unreachable_model_falls_back_to_the_typed_judgement():
    engine, _ = _engine([LLMError("connection refused")])
    answer = engine.answer(_request())
    assert answer.engine == "scripted→offline" and "could not be reached" in (answer.fallback or "")
    assert answer.determination == Determination.indicated
