"""Policy sentences compiled into typed rules (scope, kind, condition), read with the question vocabulary."""

from __future__ import annotations

from core.rules import CompiledRule
from ingest.compile import DocContext, compile_statement

HEAD = [
    "Example policy",
    "Indications / Criteria",
    "Thermal radiofrequency ablation of facet joint nerves (CPT 64633-64636)",
]
LIMITS = ["Example policy", "Limitations / Not covered"]


def compile_one(text: str, section: list[str] = HEAD) -> CompiledRule:
    ctx = DocContext("example", "Example policy", services=["facet_rfa"])
    rule = compile_statement(text, section, [], doc=ctx, chunk_id="c1", ordinal=0)
    assert rule is not None
    return rule


def test_prior_blocks_with_count_and_relief_each() -> None:
    rule = compile_one(
        "Initial thermal RFA requires at least two diagnostic medial branch blocks, each giving at least 80% relief."
    )
    assert rule.kind == "requirement"
    assert rule.scope.services == ["facet_rfa"] and rule.scope.modifiers["sequence"] == ["initial"]
    cond = rule.condition
    assert cond is not None and cond.op == "prior"
    assert (
        cond.concepts == ["medial_branch_block"] and cond.count == 2 and cond.relief == 80 and cond.relief_cmp == "ge"
    )


def test_duration_of_pain_and_failed_conservative_care() -> None:
    rule = compile_one(
        "Facet interventions require pain present for at least 3 months "
        "with failure of at least 4 weeks of conservative care."
    )
    ops = {(c.op, c.measure or tuple(c.concepts)) for c in rule.condition.items}
    assert ("measure", "pain_months") in ops and ("treatment", ("conservative_care",)) in ops
    treatment = next(c for c in rule.condition.items if c.op == "treatment")
    assert treatment.want == "failed" and abs(treatment.months - 4 / 4.345) < 0.01


def test_absence_of_a_list_is_all_absent() -> None:
    rule = compile_one("Facet interventions require the absence of radiculopathy or neurogenic claudication.")
    assert rule.condition.op == "all"
    assert [(c.concepts[0], c.want) for c in rule.condition.items] == [
        ("radicular_symptoms", "absent"),
        ("neurogenic_claudication", "absent"),
    ]


def test_such_as_examples_belong_to_their_umbrella() -> None:
    rule = compile_one(
        "Facet interventions require imaging showing no non-facet pathology, such as fracture, tumor or infection."
    )
    assert rule.condition.op == "finding" and rule.condition.want == "absent"
    assert rule.condition.concepts == ["other_pathology"]
    assert rule.condition.examples == ["fracture", "tumor", "infection"]


def test_a_service_not_covered_at_all() -> None:
    rule = compile_one("Intra-articular facet prolotherapy is not covered.", LIMITS)
    assert rule.kind == "not_covered" and rule.scope.services == ["facet_prolotherapy"] and rule.condition is None


def test_an_exclusion_keeps_its_condition_and_is_not_negated_by_the_coverage_words() -> None:
    rule = compile_one(
        "TRICARE does not cover RF facet denervation for pain that radiates to other parts of the body.", LIMITS
    )
    assert rule.kind == "exclusion" and rule.scope.services == ["facet_rfa"]
    assert rule.condition.op == "finding" and rule.condition.want == "present"


def test_a_qualified_subject_never_becomes_a_blanket_exclusion() -> None:
    rule = compile_one("Routine deep sedation for an epidural steroid injection is not covered.", LIMITS)
    assert rule.kind == "exclusion" and rule.condition is None


def test_region_scoped_not_covered_statement() -> None:
    rule = compile_one("RF denervation for thoracic facet pain is not a covered benefit.", LIMITS)
    assert rule.kind == "not_covered" and rule.scope.modifiers["region"] == ["thoracic"]


def test_technique_scope() -> None:
    pulsed = compile_one("Pulsed radiofrequency ablation for back pain is not a covered benefit.", LIMITS)
    assert pulsed.scope.modifiers["technique"] == ["pulsed"]
    nonthermal = compile_one("Non-thermal facet denervation, including chemical modalities, is not covered.", LIMITS)
    assert nonthermal.kind == "not_covered" and "thermal" not in nonthermal.scope.modifiers["technique"]


def test_frequency_limit() -> None:
    rule = compile_one(
        "Thermal RFA is limited to two sessions per spinal region per rolling 12 months.",
        ["Example policy", "Frequency"],
    )
    assert rule.kind == "frequency"
    assert rule.condition.op == "sessions" and rule.condition.count == 2 and rule.condition.months == 12


def test_trigger_for_a_population() -> None:
    rule = compile_one("A patient who is not hospitalized qualifies for RFA only when pain is rated at least 5 on NRS.")
    assert rule.trigger is not None and rule.trigger.concepts == ["hospitalized"] and rule.trigger.want == "absent"
    assert rule.condition.op == "measure" and rule.condition.measure == "pain_score" and rule.condition.value == 5


def test_threshold_measures() -> None:
    assert compile_one("Covered RFA requires a body mass index (BMI) of 35 or more.").condition.measure == "bmi"
    a1c = compile_one("Elective RFA in a patient with diabetes requires a hemoglobin A1c below 8%.")
    assert a1c.condition.measure == "a1c" and a1c.condition.cmp == "lt" and a1c.trigger is not None


def test_recommendation_with_strength_and_population() -> None:
    section = ["ACR", "When imaging is indicated", "Risk factors for fracture"]
    rule = compile_one(
        "For low back pain with osteoporosis or chronic steroid use, "
        "radiographs of the lumbar spine are usually appropriate.",
        section,
    )
    assert rule.kind == "recommendation" and rule.strength == "for"
    assert rule.scope.services == ["radiography"]
    assert rule.condition is not None


def test_a_sentence_with_nothing_typed_stays_free_text() -> None:
    rule = compile_one("Radiofrequency ablation requires that the full policy has been read by the reviewer.")
    assert rule.kind == "requirement" and rule.condition is None
