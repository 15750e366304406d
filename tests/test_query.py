"""Query understanding: codes, procedure, context, negations, facts, age."""

import pytest

from assistant.query import QuestionError, check_question, parse_question
from tests.conftest import SEED_QUESTION


def test_seed_question_is_understood():
    q = parse_question(SEED_QUESTION)
    assert q.cpt == ["64635", "64636"]
    assert q.icd10 == [("M47.817", "Spondylosis without myelopathy or radiculopathy, lumbosacral region")]
    assert {"radiculopathi", "myelopathi"} <= q.negated
    assert any("fusion" in h for h in q.history)
    assert q.procedure == "procedures 64635 and 64636"


@pytest.mark.parametrize(
    ("question", "procedure"),
    [
        ("Is US abdomen appropriate for right upper quadrant pain: No fever, normal WBC?", "US abdomen"),
        (
            "Chronic hip pain, x-rays unrevealing, I suspect impingement. CT arthrogram of the hip?",
            "CT arthrogram of the hip",
        ),
        ("Should I order an MRI lumbar spine for acute low back pain?", "MRI lumbar spine"),
        ("Does a 3 yo with a first febrile UTI need a VCUG?", "VCUG"),
    ],
)
def test_the_procedure_asked_about_is_separated_from_the_context(question, procedure):
    assert parse_question(question).procedure == procedure


def test_patient_facts_are_extracted():
    q = parse_question(
        "Is RFA indicated after two blocks with 80% relief and 4 months of pain in a 67-year-old, BMI 36?"
    )
    stated = {(s.kind, s.term, round(s.value, 1)) for s in q.stated}
    assert (
        ("percent", "", 80.0) in stated and ("duration_months", "", 4.0) in stated and ("value", "bmi", 36.0) in stated
    )
    assert q.age_years == 67


def test_infant_ages_are_in_years():
    assert parse_question("3-week-old with fever. Chest x-ray?").age_years == pytest.approx(3 / 52, rel=0.1)


@pytest.mark.parametrize("bad", ["", "   ", "?!?", "x" * 3000])
def test_empty_or_huge_questions_are_refused_clearly(bad):
    with pytest.raises(QuestionError):
        check_question(bad, 2000)
