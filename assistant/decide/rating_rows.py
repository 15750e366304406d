"""Rating rows: what a rating means (the thirds rule) and which row a question is about.

A rating on a table's 1..max scale decides by thirds (:func:`rating_determination`): on the
common 1-9 scale, 7-9 indicated, 4-6 conditional, 1-3 not indicated.

Which row: every row of every rating table in the best-retrieved documents is scored on three
signals:
- procedure: :func:`assistant.clinical.procedures.match_score` between the procedure asked and the row's;
- scenario: dense similarity of the clinical context to the table caption, word overlap weighted
  by how rare a word is among the candidate captions, age fit and negation agreement;
- document: the document's retrieval rank.
Retrieval gathers the rows, the tables with their dense similarity and the titles
(:class:`assistant.retrieval.Retrieval`); this module only decides, from those plain records.
Nothing here knows a publisher, a question set or a particular table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from assistant.clinical.negation import find_negations
from assistant.clinical.population import age_fit, patient_age, sex_fit, sex_of
from assistant.clinical.procedures import match_score, signature
from assistant.clinical.thresholds import Stated, compare, thresholds
from assistant.query import ParsedQuestion
from assistant.schema import Determination
from core.records import RatingRow, RatingTable
from core.textnorm import terms

W_PROCEDURE = 1.0
W_SCENARIO = 2.0
W_DOC = 0.35
W_DENSE = 0.5  # inside the scenario score: dense similarity of context and caption
W_LEXICAL = 0.5  # inside the scenario score: rarity-weighted word overlap
W_AGE = 0.15
W_NEGATION = 0.2
W_NUMERIC = 0.2
W_SEX = 0.3
W_EXCLUSION = 0.4
MIN_PROCEDURE_SCORE = 0.25  # below this the row does not name what was asked
MIN_SCENARIO = 0.2  # ... and with a weak procedure match the scenario must resemble the question
STRONG_PROCEDURE = 1.0  # modality and words agree
MIN_SCENARIO_WITH_STRONG = 0.1
MIN_SCENARIO_LOOSE = 0.3  # for a closest-match answer when no procedure matches well ...
MIN_PROCEDURE_LOOSE = 0.15  # ... the row must still share words with the procedure asked


def rating_determination(rating: int, scale_max: int) -> Determination:
    """Thirds of the table's 1..max scale: on 1-9, 7-9 indicated, 4-6 conditional, 1-3 not indicated."""
    position = (rating - 1) / max(scale_max - 1, 1)
    if position >= 2 / 3:
        return Determination.indicated
    if position >= 1 / 3:
        return Determination.conditional
    return Determination.not_indicated


def rating_category(rating: int, scale_max: int) -> str:
    """The words a rating guideline uses for each third ("usually appropriate", ...)."""
    return {
        Determination.indicated: "usually appropriate",
        Determination.conditional: "may be appropriate",
        Determination.not_indicated: "usually not appropriate",
    }[rating_determination(rating, scale_max)]


@dataclass
class RowMatch:
    row: RatingRow
    title: str
    score: float
    procedure_score: float
    scenario_score: float
    doc_rank: int


def _idf(captions: list[set[str]]) -> dict[str, float]:
    n = len(captions)
    df: dict[str, int] = {}
    for words in captions:
        for w in words:
            df[w] = df.get(w, 0) + 1
    return {w: math.log(1 + n / d) for w, d in df.items()}


def _lexical(question_words: set[str], caption: set[str], title: set[str], idf: dict[str, float]) -> float:
    if not caption or not question_words:
        return 0.0

    def weight(w: str) -> float:
        return idf.get(w, math.log(2.0))

    # Words the caption shares with the document title say nothing about which scenario is meant.
    own = (caption - title) or caption
    recall = sum(weight(w) for w in own & question_words) / sum(weight(w) for w in own)
    explained = question_words & (caption | title)
    precision = sum(weight(w) for w in explained) / sum(weight(w) for w in question_words)
    return 0.6 * recall + 0.4 * precision


def _numeric_fit(stated: list[Stated], caption: str) -> float:
    """+1 when the question's numbers meet the scenario's thresholds ("GCS >13"), -1 when they break one."""
    if not stated:
        return 0.0
    fit = 0.0
    for threshold in thresholds(caption):
        outcome = compare(threshold, stated)
        if outcome is not None:
            fit += 1.0 if outcome[0] else -1.0
    return max(-1.0, min(1.0, fit))


def _negation_agreement(question: ParsedQuestion, caption: str) -> float:
    neg, aff = find_negations(caption)
    clash = len(neg & question.affirmed) + len(aff & question.negated)
    agree = len(neg & question.negated)
    return float(agree - clash)


def _exclusion_fit(asked_neg: frozenset[str], asked_aff: frozenset[str], procedure: str) -> float:
    """Rows that include what the question rules out ("chemo alone, no RT" vs "RT alone") lose."""
    row_neg, row_aff = find_negations(procedure)
    clash = len(row_aff & asked_neg) + len(row_neg & asked_aff)
    agree = len(row_neg & asked_neg)
    return W_EXCLUSION * (min(agree, 2) - min(clash, 2))


def match_rows(
    question: ParsedQuestion,
    rows: list[RatingRow],
    tables: list[tuple[RatingTable, float]],
    titles: dict[str, str],
    doc_ranks: dict[str, int],
) -> list[RowMatch]:
    """Candidate rows best first; empty when there are no rows.

    ``rows`` are the rating rows of the best-retrieved documents, ``tables`` their tables, each
    with the dense similarity of its caption to the question's clinical context, ``titles`` the
    documents' titles and ``doc_ranks`` each document's retrieval rank (0 is best).
    """
    if not rows:
        return []
    # Without a recognisable procedure phrase the whole question is searched for one: rarity
    # weighting keeps its clinical words from mattering much.
    asked = question.procedure or question.text
    caption_words = {t.table_id: set(terms(t.caption)) for t, _ in tables}
    title_words = {d: set(terms(title)) for d, title in titles.items()}
    idf = _idf(list(caption_words.values()))

    dense = {t.table_id: similarity for t, similarity in tables}
    q_words = set(terms(question.context or question.text)) - set(terms(question.procedure or ""))
    age = patient_age(question.age_years, question.context)
    stated = question.stated
    sex = sex_of(question.context or question.text)

    scenario: dict[str, float] = {}
    for table, _ in tables:
        lexical = _lexical(q_words, caption_words[table.table_id], title_words.get(table.doc_id, set()), idf)
        scenario[table.table_id] = (
            W_DENSE * dense[table.table_id]
            + W_LEXICAL * lexical
            + W_AGE * age_fit(age, table.caption)
            + W_NEGATION * np.tanh(_negation_agreement(question, table.caption))
            + W_NUMERIC * _numeric_fit(stated, table.caption)
            + W_SEX * sex_fit(sex, table.caption)
        )

    # Only the procedure phrase says what is ruled out of the service ("5-FU only, no mitomycin");
    # negated findings in the context ("films negative") describe the patient, not the service.
    asked_neg, asked_aff = find_negations(asked)
    word_weights = _idf([set(signature(r.procedure).words) for r in rows])
    out: list[RowMatch] = []
    for row in rows:
        rank = doc_ranks.get(row.doc_id, 0)
        proc = match_score(asked, row.procedure, word_weights)
        proc += _exclusion_fit(asked_neg, asked_aff, row.procedure)
        score = W_PROCEDURE * proc + W_SCENARIO * scenario.get(row.table_id, 0.0) + W_DOC / (1 + rank)
        out.append(
            RowMatch(row, titles.get(row.doc_id, row.doc_id), score, proc, scenario.get(row.table_id, 0.0), rank)
        )
    out.sort(key=lambda m: -m.score)
    return out


def covers_scenario(match: RowMatch) -> bool:
    """The row is from the best-ranked document and its scenario resembles the question."""
    return match.doc_rank == 0 and match.scenario_score >= MIN_SCENARIO_LOOSE


def plausible(match: RowMatch) -> bool:
    """A loose match still worth showing: a row that covers the scenario and shares words with the procedure."""
    return covers_scenario(match) and match.procedure_score >= MIN_PROCEDURE_LOOSE


def confident(match: RowMatch) -> bool:
    """Whether the row is what was asked: its procedure is named and its scenario resembles the question.

    A strong procedure match needs less scenario resemblance (physicians describe scenarios in their
    own words); a weak one needs more. Below both, the question is not about this table.
    """
    p, s = match.procedure_score, match.scenario_score
    return (p >= STRONG_PROCEDURE and s >= MIN_SCENARIO_WITH_STRONG) or (p >= MIN_PROCEDURE_SCORE and s >= MIN_SCENARIO)
