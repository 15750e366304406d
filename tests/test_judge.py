"""The judge on plain records: typed facts against typed conditions, three-valued, never by shared words."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.clinical.facts import extract_facts
from assistant.clinical.records import (
    ABSENT,
    FAILED,
    NOT_TRIED,
    PRESENT,
    Ask,
    ClinicalFacts,
    Event,
    Finding,
    Measure,
    Treatment,
)
from assistant.decide.judge import MET, NOT_MET, UNKNOWN, Judge
from assistant.decide.necessity import DocInfo, decide
from core.rules import CompiledRule, Cond, Scope

ASK = Ask(
    "facet_rfa",
    {"technique": "thermal", "guidance": "fluoroscopy"},
    ("64635",),
    frozenset({"L4-L5"}),
    "lumbar",
    "RFA",
    1,
)


def facts(**kw) -> ClinicalFacts:
    f = ClinicalFacts(text="", intent="necessity", asks=[ASK])
    for k, v in kw.items():
        setattr(f, k, v)
    return f


def rule(cond: Cond | None, kind: str = "requirement", **scope) -> CompiledRule:
    return CompiledRule(
        rule_id="r",
        doc_id="d",
        chunk_id="c",
        text="t",
        section="s",
        kind=kind,  # type: ignore[arg-type]
        scope=Scope(services=["facet_rfa"], **scope),
        condition=cond,
    )


BLOCKS = Cond(op="prior", concepts=["medial_branch_block"], count=2, relief=80, relief_cmp="ge")


def test_two_blocks_each_above_the_threshold_meet_it() -> None:
    f = facts(events=[Event("medial_branch_block", 2, (85.0, 90.0), None, None, frozenset(), None, "2 MBBs 85/90%")])
    j = Judge(f, ASK).judge(rule(BLOCKS))
    assert j.status == MET and j.facts == ["2 MBBs 85/90%"] and "85% and 90%" in j.reason


def test_one_block_below_the_threshold_fails_it() -> None:
    f = facts(events=[Event("medial_branch_block", 2, (85.0, 79.0), None, None, frozenset(), None, "85% then 79%")])
    assert Judge(f, ASK).judge(rule(BLOCKS)).status == NOT_MET


def test_unstated_relief_is_unknown_not_a_guess() -> None:
    f = facts(events=[Event("medial_branch_block", 2, (), None, None, frozenset(), None, "two blocks")])
    j = Judge(f, ASK).judge(rule(BLOCKS))
    assert j.status == UNKNOWN and j.facts == []


def test_absence_through_a_broader_concept() -> None:
    cond = Cond(op="finding", concepts=["radicular_symptoms"], want="absent")
    f = facts(findings=[Finding("limb_symptoms", ABSENT, "denies leg pain")])
    assert Judge(f, ASK).judge(rule(cond)).status == MET
    f = facts(findings=[Finding("radicular_symptoms", PRESENT, "L5 radiculopathy")])
    assert Judge(f, ASK).judge(rule(cond)).status == NOT_MET


def test_failed_care_needs_the_duration() -> None:
    cond = Cond(op="treatment", concepts=["conservative_care"], want="failed", months=3.0, months_cmp="ge")
    assert (
        Judge(facts(treatments=[Treatment("physical_therapy", FAILED, 4.0, "4 mo PT")]), ASK).judge(rule(cond)).status
        == MET
    )
    assert (
        Judge(facts(treatments=[Treatment("physical_therapy", FAILED, 1.0, "4 wk PT")]), ASK).judge(rule(cond)).status
        == NOT_MET
    )
    assert (
        Judge(facts(treatments=[Treatment("physical_therapy", FAILED, None, "PT")]), ASK).judge(rule(cond)).status
        == UNKNOWN
    )
    assert (
        Judge(facts(treatments=[Treatment("physical_therapy", NOT_TRIED, None, "no PT")]), ASK).judge(rule(cond)).status
        == NOT_MET
    )


def test_a_negated_course_with_a_length_is_unknown_either_way() -> None:
    """ "did not lose weight in a 12-month program": the negation may be the outcome's, not the course's."""
    course = [Treatment("physical_therapy", NOT_TRIED, 12.0, "12-month program")]
    for want in ("failed", "tried", "not_tried"):
        cond = Cond(op="treatment", concepts=["conservative_care"], want=want)
        assert Judge(facts(treatments=course), ASK).judge(rule(cond)).status == UNKNOWN, want
    plain = [Treatment("physical_therapy", NOT_TRIED, None, "no PT")]
    cond = Cond(op="treatment", concepts=["conservative_care"], want="not_tried")
    assert Judge(facts(treatments=plain), ASK).judge(rule(cond)).status == MET


def test_measures_and_bounds() -> None:
    cond = Cond(op="measure", measure="bmi", cmp="ge", value=35)
    assert Judge(facts(measures=[Measure("bmi", 34.8, "BMI 34.8")]), ASK).judge(rule(cond)).status == NOT_MET
    months = Cond(op="measure", measure="pain_months", cmp="ge", value=3)
    chronic = facts(measures=[Measure("pain_months", 3.0, "chronic", bound="ge")])
    assert Judge(chronic, ASK).judge(rule(months)).status == MET


def test_an_exclusion_that_applies_is_not_met() -> None:
    cond = Cond(op="prior", concepts=["lumbar_fusion"], same_level=True)
    fused = facts(
        events=[Event("lumbar_fusion", None, (), None, 84.0, frozenset({"L4-L5", "L5-S1"}), "lumbar", "L4-S1 fusion")]
    )
    assert Judge(fused, ASK).judge(rule(cond, "exclusion")).status == NOT_MET
    above = facts(events=[Event("lumbar_fusion", None, (), None, 84.0, frozenset({"L5-S1"}), "lumbar", "L5-S1 fusion")])
    assert Judge(above, ASK).judge(rule(cond, "exclusion")).status == MET


def test_scope_decides_applicability() -> None:
    judge = Judge(facts(), ASK)
    assert judge.applies(rule(None, "not_covered", modifiers={"technique": ["pulsed"]})) == "no"
    assert judge.applies(rule(None, "not_covered", modifiers={"region": ["thoracic"]})) == "no"
    assert judge.applies(rule(None, modifiers={"sequence": ["repeat"]})) == "no"
    assert judge.applies(rule(None, modifiers={"sequence": ["initial"]})) == "yes"
    other = CompiledRule(
        rule_id="x",
        doc_id="d",
        chunk_id="c",
        text="t",
        section="s",
        kind="requirement",
        scope=Scope(services=["epidural_steroid_injection"]),
        condition=BLOCKS,
    )
    assert judge.applies(other) == "no"


def test_verdicts() -> None:
    docs = {"d": DocInfo("d", "Example LCD", "CMS", 0)}
    met = facts(events=[Event("medial_branch_block", 2, (85.0, 90.0), None, None, frozenset(), None, "two blocks")])
    assert decide(met, {"d": [rule(BLOCKS)]}, docs).verdict == "indicated"
    assert decide(facts(), {"d": [rule(BLOCKS)]}, docs).verdict == "conditional"
    assert decide(facts(), {"d": [rule(None, "not_covered")]}, docs).verdict == "not_indicated"
    nothing = facts(asks=[Ask("kyphoplasty", {}, (), frozenset(), None, "kyphoplasty")])
    assert decide(nothing, {"d": [rule(BLOCKS)]}, docs).verdict == "insufficient_evidence"


# ---------------------------------------------------------------- words that are not facts never change a judgement
QUESTION = (
    "A 69-year-old has had axial low back pain for 9 months despite 10 weeks of physical therapy. "
    "Two diagnostic medial branch blocks gave 85% and 90% relief. Is thermal RFA (64635) medically necessary?"
)
RULES = [
    rule(BLOCKS),
    rule(Cond(op="measure", measure="pain_months", cmp="ge", value=3)),
    rule(Cond(op="treatment", concepts=["conservative_care"], want="failed")),
]
NEUTRAL = st.lists(
    st.sampled_from(["weather", "Tuesday", "clinic", "parking", "blue", "coffee", "calendar", "window"]),
    min_size=1,
    max_size=6,
)


def judged(question: str) -> list[str]:
    f = extract_facts(question)
    judge = Judge(f, f.asks[0])
    return [judge.judge(r).status for r in RULES]


@settings(max_examples=25, deadline=None)
@given(NEUTRAL, st.sampled_from(string.ascii_uppercase))
def test_unrelated_words_never_change_a_judgement(words: list[str], letter: str) -> None:
    baseline = judged(QUESTION)
    noisy = f"{letter}. {' '.join(words).capitalize()} was mentioned. " + QUESTION
    assert judged(noisy) == baseline
