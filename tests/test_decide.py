"""The decide modules on hand-made records: no store, no Chroma, no embedding model.

``assistant.decide`` takes plain records (rating rows and tables, sentences) and a parsed question;
these tests build those records directly, so each rule is checked on its own. The typed judge over
compiled rules has its own tests (tests/test_judge.py).
"""

from __future__ import annotations

import pytest

from assistant.decide.rating_rows import (
    confident,
    covers_scenario,
    match_rows,
    plausible,
    rating_category,
    rating_determination,
)
from assistant.decide.stance import StanceCount, decide, score, section_weight
from assistant.query import parse_question
from assistant.schema import Determination
from core.records import RatingRow, RatingTable

IND, CON, NOT = Determination.indicated, Determination.conditional, Determination.not_indicated


# ------------------------------------------------------------------ the thirds rule
@pytest.mark.parametrize(
    ("rating", "expected"), [(1, NOT), (2, NOT), (3, NOT), (4, CON), (5, CON), (6, CON), (7, IND), (8, IND), (9, IND)]
)
def test_a_1_to_9_rating_decides_by_thirds(rating, expected):
    assert rating_determination(rating, 9) == expected


def test_the_thirds_follow_the_tables_own_scale():
    assert [rating_determination(r, 5) for r in range(1, 6)] == [NOT, NOT, CON, IND, IND]
    assert [rating_determination(r, 3) for r in range(1, 4)] == [NOT, CON, IND]
    assert rating_determination(1, 1) == NOT  # a one-point scale never divides by zero
    assert [rating_category(r, 9) for r in (2, 5, 8)] == [
        "usually not appropriate",
        "may be appropriate",
        "usually appropriate",
    ]


# --------------------------------------------------------------- which rating row
TITLE = "Low back pain imaging (hand-made)"
ACUTE = RatingTable("lbp::t000", "lbp", "Variant 1: Acute low back pain, no red flags. Initial imaging.")
CANCER = RatingTable(
    "lbp::t001",
    "lbp",
    "Variant 2: Low back pain with suspected cancer, infection or immunosuppression. Initial imaging.",
)


def _row(table: RatingTable, procedure: str, rating: int, n: int, doc_id: str = "lbp") -> RatingRow:
    return RatingRow(doc_id, f"{doc_id}::{n:05d}::h", table.table_id, table.caption, None, procedure, rating, 9, "")


ROWS = [
    _row(ACUTE, "MRI lumbar spine without IV contrast", 2, 1),
    _row(ACUTE, "Radiography lumbar spine", 1, 2),
    _row(CANCER, "MRI lumbar spine without and with IV contrast", 9, 3),
    _row(CANCER, "MRI lumbar spine without IV contrast", 8, 4),
    _row(CANCER, "Radiography lumbar spine", 5, 5),
]


def _best(question: str, dense: dict[str, float], rows: list[RatingRow] = ROWS, ranks: dict[str, int] | None = None):
    tables = [(ACUTE, dense[ACUTE.table_id]), (CANCER, dense[CANCER.table_id])]
    matches = match_rows(parse_question(question), rows, tables, {"lbp": TITLE}, ranks or {"lbp": 0})
    return matches


def test_match_rows_picks_the_procedure_asked_in_the_scenario_described():
    matches = _best(
        "Is MRI lumbar spine without contrast appropriate for low back pain with suspected cancer?",
        {ACUTE.table_id: 0.55, CANCER.table_id: 0.8},
    )
    best = matches[0]
    assert (best.row.table_id, best.row.procedure, best.row.rating) == (
        CANCER.table_id,
        "MRI lumbar spine without IV contrast",
        8,
    )
    assert best.title == TITLE and best.doc_rank == 0
    assert confident(best) and plausible(best) and covers_scenario(best)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    # contrast phase is a category: "without and with" is a different study from "without"
    with_and_without = next(m for m in matches if "with IV" in m.row.procedure)
    assert with_and_without.procedure_score < best.procedure_score

    acute = _best(
        "Is MRI lumbar spine without contrast appropriate for acute low back pain with no red flags?",
        {ACUTE.table_id: 0.8, CANCER.table_id: 0.55},
    )[0]
    assert (acute.row.table_id, acute.row.rating) == (ACUTE.table_id, 2)


def test_the_dense_similarity_given_decides_between_scenarios_the_words_do_not_separate():
    question = "Is MRI lumbar spine without contrast appropriate for low back pain?"
    assert _best(question, {ACUTE.table_id: 0.9, CANCER.table_id: 0.1})[0].row.table_id == ACUTE.table_id
    assert _best(question, {ACUTE.table_id: 0.1, CANCER.table_id: 0.9})[0].row.table_id == CANCER.table_id


def test_match_rows_prefers_the_better_ranked_document_and_is_empty_without_rows():
    other = RatingTable("other::t000", "other", CANCER.caption)
    rows = [*ROWS, _row(other, "MRI lumbar spine without IV contrast", 3, 1, doc_id="other")]
    tables = [(ACUTE, 0.5), (CANCER, 0.8), (other, 0.8)]
    q = parse_question("Is MRI lumbar spine without contrast appropriate for low back pain with suspected cancer?")
    matches = match_rows(q, rows, tables, {"lbp": TITLE, "other": "Another guideline"}, {"other": 0, "lbp": 1})
    assert matches[0].row.doc_id == "other" and matches[0].title == "Another guideline"
    assert match_rows(q, [], tables, {}, {}) == []


def test_a_row_that_does_not_name_the_procedure_is_not_confident():
    matches = _best(
        "Is a bone scan appropriate for low back pain with suspected cancer?",
        {ACUTE.table_id: 0.5, CANCER.table_id: 0.8},
    )
    assert not confident(matches[0])


# -------------------------------------------------------------------------- stance
def test_score_counts_support_against_and_hedges():
    assert score("Pain scores significantly improved at 6 months (p<0.01).").support > 0
    against = score("There was no significant difference between the groups.")
    assert (against.support, against.against) == (0.0, 1.0)  # "significant" inside "no significant" is not support
    hedged = score("Outcomes may be similar; the evidence is limited.", weight=0.5)
    assert (hedged.against, hedged.hedge) == (0.5, 0.5)
    assert score("The trial enrolled 120 patients.") == StanceCount()


def test_decide_by_the_share_of_support():
    assert decide(StanceCount(support=3, against=1)) == Determination.indicated
    assert decide(StanceCount(support=1, against=3)) == Determination.not_indicated
    assert decide(StanceCount(support=1, against=1)) == Determination.conditional
    assert decide(StanceCount()) == Determination.conditional
    # a lexical reading commits only on a two-to-one lean of at least one sentence's worth of cues
    assert decide(StanceCount(support=2, against=1)) == Determination.indicated
    assert decide(StanceCount(support=1.8, against=1.2)) == Determination.conditional  # 60:40 is no lean
    assert decide(StanceCount(support=0.9)) == Determination.conditional  # faint cues only
    assert decide(StanceCount(against=1.0)) == Determination.not_indicated


def test_findings_sections_weigh_more_than_aims():
    assert section_weight("Results") == 1.0
    assert section_weight("Background") == 0.2
    assert section_weight("Patients") == 0.6
