"""The small clinical-language rules the matchers rely on: negation, thresholds, age and sex."""

import pytest

from assistant.clinical.negation import find_negations
from assistant.clinical.population import age_fit, age_range, sex_fit, sex_of
from assistant.clinical.thresholds import compare, stated_values, thresholds
from assistant.query import parse_question


@pytest.mark.parametrize(
    ("text", "negated", "affirmed"),
    [
        ("Spondylosis without myelopathy or radiculopathy", {"myelopathi", "radiculopathi"}, {"spondylosi"}),
        ("Chronic neck pain, neuro exam normal.", {"neurolog", "exam"}, {"neck"}),
        ("can't tolerate weight-bearing view", {"toler", "weight", "bear"}, set()),
        ("Back pain with none of the following red flags: constant pain, night pain.", {"constant", "night"}, set()),
        ("screening has not been performed", {"screen"}, set()),
        ("CT abdomen without contrast for fever", set(), {"ct", "abdomen", "fever"}),
    ],
)
def test_negation_scope(text, negated, affirmed):
    neg, aff = find_negations(text)
    assert negated <= neg and affirmed <= aff
    assert not (affirmed & neg)


def test_a_threshold_is_compared_only_with_a_number_about_the_same_thing():
    stated = stated_values("Is RFA indicated after 4 months of axial low back pain?")
    pain = thresholds("Facet interventions require pain present for at least 3 months.")
    relief = thresholds("Repeat ablation requires 50% improvement in function for at least 6 months.")
    assert compare(pain[0], stated)[0] is True
    assert compare(relief[-1], stated) is None


def test_named_values_and_exclusion_thresholds():
    stated = stated_values("Bariatric surgery for BMI 36 with type 2 diabetes?")
    (at_least,) = thresholds("Covered bariatric surgery requires a body mass index (BMI) of 35 or more.")
    (below,) = thresholds("Not covered for type 2 diabetes whose BMI is below 35.")
    assert compare(at_least, stated)[0] is True and compare(below, stated)[0] is False


def test_conditional_clauses_are_not_requirements():
    assert thresholds("Diagnostic blocks must be repeated when the prior ablation was more than 2 years ago.") == ()


@pytest.mark.parametrize(
    ("scenario", "patient", "fits"),
    [
        ("New-onset seizure. Age 18–40.", (25.0, 25.0), True),
        ("New-onset seizure. Older than age 40.", (25.0, 25.0), False),
        ("Neonate younger than 1 month with fever", (3 / 52, 3 / 52), True),
        ("Child ≤24 months of age. High suspicion for abuse.", (3.0, 3.0), False),
        ("60-year-old man with stage II cancer", (61.0, 61.0), True),
    ],
)
def test_age_fit(scenario, patient, fits):
    assert (age_fit(patient, scenario) > 0) is fits


def test_narrow_age_ranges_fit_better_than_broad_ones():
    infant = (7 / 52, 7 / 52)
    assert age_fit(infant, "Age <2 months, first febrile UTI") > age_fit(infant, "Child. Recurrent febrile UTI")
    assert age_range("Male patient of any age") == (0.0, 200.0)


def test_sex_of_patient_and_scenario():
    assert sex_of("41M, flank pain") == "M" and sex_of("Pregnant patient.") == "F"
    assert sex_of("Man or woman 30 to 39 years") is None
    assert sex_fit("M", "Pregnant patient.") == -1.0 and sex_fit("F", "Pregnant patient.") == 0.0


@pytest.mark.parametrize(
    ("question", "procedure"),
    [
        (
            "MRI pelvis with and without contrast for a 47 yo man with hematospermia?",
            "MRI pelvis with and without contrast",
        ),
        ("SCLC staging: noncon head CT to look for brain mets?", "noncon head CT"),
        ("What about a plain CXR for surveillance after TEVAR?", "plain CXR"),
        (
            "CKD 4, renal US done. Noncontrast MRI of the abdomen reasonable as a next look?",
            "Noncontrast MRI of the abdomen",
        ),
    ],
)
def test_procedure_phrases_in_physician_phrasing(question, procedure):
    assert parse_question(question).procedure == procedure
