"""Follow-ups in the chat become the full question they imply (deterministic, no model needed)."""

from __future__ import annotations

from assistant.conversation import is_followup, resolve_deterministic, resolve_followup
from tests.conftest import SEED_QUESTION


def test_first_question_is_answered_as_typed() -> None:
    r = resolve_deterministic([], SEED_QUESTION)
    assert r.question == SEED_QUESTION
    assert r.method == "standalone"
    assert not r.rewritten


def test_region_follow_up_swaps_region_and_icd_code_and_keeps_the_rest() -> None:
    r = resolve_deterministic([SEED_QUESTION], "what about the cervical region?")
    assert r.method == "deterministic"
    assert "cervical region" in r.question
    assert "lumbosacral" not in r.question
    # M47.817 (lumbosacral) becomes its cervical sibling M47.812.
    assert "M47.812" in r.question and "M47.817" not in r.question
    # The lumbar/sacral radiofrequency codes become the same service at the cervical/thoracic level.
    assert "64633" in r.question and "64634" in r.question
    assert "64635" not in r.question and "64636" not in r.question
    # Condition and facts carried forward.
    for kept in ("spondylosis without myelopathy or radiculopathy", "prior spinal fusion"):
        assert kept in r.question
    assert any("M47.817 → M47.812" in c for c in r.changes)
    assert any("64635 → 64633" in c for c in r.changes)


def test_going_back_down_the_spine_swaps_the_codes_back() -> None:
    cervical = resolve_deterministic([SEED_QUESTION], "what about the cervical region?").question
    back = resolve_deterministic([SEED_QUESTION, cervical], "and the lumbosacral region?").question
    assert "64635" in back and "64636" in back and "M47.817" in back


def test_fact_follow_up_is_added_to_the_previous_question() -> None:
    r = resolve_deterministic([SEED_QUESTION], "and if he had two blocks with 85 % relief?")
    assert r.question.startswith(SEED_QUESTION.rstrip("?"))
    assert r.question.endswith("the patient had two blocks with 85 % relief?")
    assert any(c.startswith("added:") for c in r.changes)


def test_fact_follow_up_replaces_a_value_already_stated() -> None:
    previous = "Is lumbar radiofrequency ablation indicated after two medial branch blocks with 60 % relief?"
    r = resolve_deterministic([previous], "and with 85 % relief?")
    assert "85 %" in r.question and "60 %" not in r.question
    assert r.question.count("relief") == 1


def test_code_follow_up_replaces_the_procedure_codes() -> None:
    r = resolve_deterministic([SEED_QUESTION], "what about 64633?")
    assert "64633" in r.question
    assert "64635" not in r.question and "64636" not in r.question
    assert "M47.817" in r.question


def test_procedure_follow_up_replaces_the_procedure_and_keeps_the_patient() -> None:
    previous = "Is MRI of the lumbar spine appropriate for a 45-year-old with acute low back pain without red flags?"
    r = resolve_deterministic([previous], "what about an x-ray?")
    assert "x-ray" in r.question
    assert "MRI" not in r.question
    assert "45-year-old with acute low back pain without red flags" in r.question


def test_age_follow_up_replaces_the_age() -> None:
    previous = "Is MRI of the lumbar spine appropriate for a 45-year-old with acute low back pain?"
    r = resolve_deterministic([previous], "what if she is 70 years old?")
    assert "70 years old" in r.question and "45-year-old" not in r.question
    assert r.question.count("70") == 1


def test_only_the_latest_standalone_question_is_the_base() -> None:
    first = resolve_deterministic([SEED_QUESTION], "what about the cervical region?").question
    second = resolve_deterministic([SEED_QUESTION, first], "and if he had two blocks with 85 % relief?")
    assert "cervical" in second.question and "85 % relief" in second.question


def test_a_new_full_question_is_not_rewritten() -> None:
    other = "Is CT of the head appropriate for a 25-year-old with minor head trauma and a normal neurological exam?"
    assert not is_followup(other, SEED_QUESTION)
    assert resolve_deterministic([SEED_QUESTION], other).question == other


class _RewritingEngine:
    def __init__(self, result: str | None) -> None:
        self.result = result
        self.calls: list[tuple[list[str], str]] = []

    def rewrite_followup(self, history: list[str], followup: str) -> str | None:
        self.calls.append((history, followup))
        return self.result


def test_an_engine_rewrite_is_used_when_it_answers() -> None:
    engine = _RewritingEngine("Are 64633 and 64634 indicated for cervical spondylosis?")
    r = resolve_followup([SEED_QUESTION], "cervical?", engine)
    assert r.method == "engine"
    assert r.question == "Are 64633 and 64634 indicated for cervical spondylosis?"
    assert engine.calls == [([SEED_QUESTION], "cervical?")]


def test_the_deterministic_rules_apply_when_the_engine_declines() -> None:
    r = resolve_followup([SEED_QUESTION], "what about the cervical region?", _RewritingEngine(None))
    assert r.method == "deterministic"
    assert "cervical region" in r.question


def test_a_single_code_follow_up_keeps_the_question_grammatical() -> None:
    r = resolve_deterministic([SEED_QUESTION], "what about 64633?")
    assert r.question.startswith("Is procedure 64633 medically indicated")


def test_a_new_icd_code_brings_its_region_into_the_text() -> None:
    r = resolve_deterministic([SEED_QUESTION], "what about for M47.816?")
    assert "M47.816" in r.question and "M47.817" not in r.question
    assert "lumbar region" in r.question and "lumbosacral" not in r.question


def test_a_negated_fact_replaces_the_clause_it_contradicts() -> None:
    r = resolve_deterministic([SEED_QUESTION], "and without the fusion?")
    assert "no prior spinal fusion" in r.question
    assert "history of prior spinal fusion" not in r.question
    assert "64635" in r.question and "M47.817" in r.question


def test_a_named_procedure_replaces_the_codes() -> None:
    r = resolve_deterministic([SEED_QUESTION], "what about an epidural steroid injection?")
    assert r.question.startswith("Is an epidural steroid injection medically indicated for a patient with M47.817")
    assert "64635" not in r.question


def test_an_open_question_about_named_codes_is_not_rewritten() -> None:
    other = "What documentation supports procedures 64635 and 64636?"
    assert not is_followup(other, SEED_QUESTION)
    assert resolve_deterministic([SEED_QUESTION], other).question == other
