"""Typed patient facts from free text and clinician shorthand (medspaCy ConText for assertions)."""

from __future__ import annotations

from assistant.clinical.facts import extract_facts, merge_followup
from assistant.clinical.records import ABSENT, FAILED, HISTORICAL, NOT_TRIED, PRESENT


def statuses(facts, concept):
    return {f.status for f in facts.findings if f.concept == concept}


def test_shorthand_question() -> None:
    f = extract_facts("58F axial LBP x8mo, MBB x2 85/90 %, RFA ok?")
    assert f.asks[0].service == "facet_rfa"
    assert f.measure("age").value == 58 and f.sex == "F"
    assert f.measure("pain_months").value == 8
    mbb = next(e for e in f.events if e.service == "medial_branch_block")
    assert mbb.count == 2 and mbb.reliefs == (85.0, 90.0)


def test_negations_in_shorthand() -> None:
    f = extract_facts("Denies leg pain, no rads, neuro exam normal. Is L4-5 RFA covered?")
    assert statuses(f, "limb_symptoms") == {ABSENT}
    assert statuses(f, "radicular_symptoms") == {ABSENT}
    assert statuses(f, "neurologic_deficit") == {ABSENT}


def test_negation_does_not_run_into_a_history() -> None:
    f = extract_facts("No radicular symptoms and a history of prior spinal fusion at L4-5. Is 64635 covered?")
    assert statuses(f, "radicular_symptoms") == {ABSENT}
    fusion = [e for e in f.events if e.service == "lumbar_fusion"]
    assert fusion and not fusion[0].negated and fusion[0].segments == frozenset({"L4-L5"})


def test_status_post_and_history_are_past_events() -> None:
    f = extract_facts("s/p L4-S1 fusion in 2019. Is RFA at L3-4 indicated?")
    fusion = next(e for e in f.events if e.service == "lumbar_fusion")
    assert fusion.segments == frozenset({"L4-L5", "L5-S1"})
    assert fusion.months_ago is not None and fusion.months_ago >= 12
    assert f.asks[0].segments == frozenset({"L3-L4"})


def test_failed_conservative_care_with_its_duration() -> None:
    f = extract_facts(
        "Despite 10 weeks of physical therapy, NSAIDs and a home exercise program the pain persists. RFA?"
    )
    assert {t.concept: t.status for t in f.treatments} == {
        "physical_therapy": FAILED,
        "nsaids": FAILED,
        "home_exercise": FAILED,
    }
    assert all(abs(t.months - 10 / 4.345) < 0.01 for t in f.treatments)


def test_not_yet_tried() -> None:
    # medspaCy's "not", read through the adverb "yet" (which its default rules terminate on as a conjunction)
    f = extract_facts("Is an SCS trial covered for a patient who has not yet tried physical therapy or medications?")
    assert {t.status for t in f.treatments} == {NOT_TRIED}
    f = extract_facts("She has not yet started physical therapy; is an SCS trial covered?")
    assert {t.status for t in f.treatments} == {NOT_TRIED}


def test_numbers_written_as_words() -> None:
    f = extract_facts(
        "Two diagnostic medial branch blocks gave eighty-five... each relieved 85% of her pain. Is RFA ok?"
    )
    mbb = next(e for e in f.events if e.service == "medial_branch_block")
    assert mbb.count == 2 and mbb.reliefs == (85.0, 85.0)


def test_measures() -> None:
    f = extract_facts("BMI 34.8, HbA1c 7.9%, Oswestry 44%, pain 7/10, quit smoking 2 years ago. Is 22612 covered?")
    assert f.measure("bmi").value == 34.8
    assert f.measure("a1c").value == 7.9
    assert f.measure("disability_score").value == 44
    assert f.measure("pain_score").value == 7
    assert f.measure("nicotine_free_months").value == 24


def test_family_history_is_not_the_patient() -> None:
    f = extract_facts("Her mother had a spinal fusion; family history of fibromyalgia. Is 27279 covered?")
    assert PRESENT not in statuses(f, "fibromyalgia")


def test_historical_finding() -> None:
    f = extract_facts("History of radiculopathy that resolved; now axial pain only. Is a medial branch block covered?")
    assert HISTORICAL in statuses(f, "radicular_symptoms") or ABSENT in statuses(f, "radicular_symptoms")


def test_information_intent() -> None:
    assert extract_facts("What documentation supports procedures 64635 and 64636?").intent == "information"
    assert extract_facts("How often can a facet RFA be repeated?").intent == "information"
    assert extract_facts("Is RFA (64635) indicated after two 85% blocks?").intent == "necessity"


def test_unknown_code_is_an_unrecognized_service() -> None:
    f = extract_facts("Is 64624 medically necessary for knee osteoarthritis?")
    assert f.asks and f.asks[0].service.startswith("unrecognized:")


def test_a_service_named_by_its_target() -> None:
    assert (
        extract_facts("Could we do radiofrequency ablation of the nerves supplying the SI joint?").asks[0].service
        == "si_rfa"
    )
    assert (
        extract_facts("Is genicular nerve radiofrequency ablation indicated?")
        .asks[0]
        .service.startswith("unrecognized:")
    )


def test_followup_changes_only_what_it_states() -> None:
    base = extract_facts(
        "A 74-year-old has axial low back pain for 8 months. Two diagnostic medial branch blocks at L4-5 each relieved "
        "85% of her pain. Is thermal RFA at L4-5 (64635) indicated?"
    )
    merged = merge_followup(base, extract_facts("What if only one block was done?"))
    mbb = next(e for e in merged.events if e.service == "medial_branch_block")
    assert mbb.count == 1
    assert merged.asks[0].service == "facet_rfa"
    assert merged.measure("pain_months").value == 8
    bmi = merge_followup(
        extract_facts("Is gastric bypass covered with a BMI of 37?"), extract_facts("And if her BMI were 34.8?")
    )
    assert bmi.measure("bmi").value == 34.8
