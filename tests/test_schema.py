"""Each refusal of the Answer contract, and an answer that passes."""

import pytest
from pydantic import ValidationError

from assistant.schema import Answer

CHUNKS = {"c1": "Facet joint interventions require pain for at least 3 months. Imaging guidance is required."}


def _answer(**overrides):
    data = {
        "question": "Is it indicated?",
        "determination": "conditional",
        "headline": "Conditional.",
        "engine": "test",
        "sections": [
            {
                "title": "Evidence",
                "bullets": [
                    {"text": "Facet joint interventions require pain for at least 3 months.", "citations": [1]}
                ],
            }
        ],
        "references": [
            {
                "number": 1,
                "doc_id": "d",
                "title": "T",
                "publisher": "P",
                "year": 2020,
                "version": "1",
                "chunk_id": "c1",
                "quote": "Imaging guidance is required.",
            }
        ],
    }
    data.update(overrides)
    return data


def test_a_cited_supported_answer_validates():
    answer = Answer.model_validate(_answer(), context={"chunks": CHUNKS})
    assert answer.cited_doc_ids() == ["d"]


def test_refuses_a_bullet_without_citation():
    data = _answer(
        sections=[{"title": "Evidence", "bullets": [{"text": "Imaging guidance is required.", "citations": []}]}]
    )
    with pytest.raises(ValidationError, match="has no citation"):
        Answer.model_validate(data, context={"chunks": CHUNKS})


def test_refuses_a_citation_number_without_reference():
    data = _answer(sections=[{"title": "E", "bullets": [{"text": "Imaging guidance is required.", "citations": [2]}]}])
    with pytest.raises(ValidationError, match=r"cites \[2\] but no such reference"):
        Answer.model_validate(data)


def test_refuses_a_criterion_citing_a_missing_reference():
    data = _answer(criteria=[{"criterion": "x", "status": "unknown", "citations": [5]}])
    with pytest.raises(ValidationError, match=r"criterion cites \[5\]"):
        Answer.model_validate(data)


def test_refuses_a_bullet_its_chunk_does_not_support():
    data = _answer(
        sections=[
            {
                "title": "E",
                "bullets": [
                    {"text": "Facet joint interventions require pain for at least 6 months.", "citations": [1]}
                ],
            }
        ]
    )
    with pytest.raises(ValidationError, match="not supported"):
        Answer.model_validate(data, context={"chunks": CHUNKS})


def test_refuses_a_quote_that_is_not_verbatim():
    refs = [{**_answer()["references"][0], "quote": "Imaging guidance is optional."}]
    with pytest.raises(ValidationError, match="not verbatim"):
        Answer.model_validate(_answer(references=refs), context={"chunks": CHUNKS})


def test_refuses_a_reference_to_a_chunk_that_was_not_retrieved():
    with pytest.raises(ValidationError, match="not retrieved"):
        Answer.model_validate(_answer(), context={"chunks": {"other": "text"}})


def test_refuses_references_out_of_order():
    refs = [{**_answer()["references"][0], "number": 2}]
    with pytest.raises(ValidationError, match="numbered"):
        Answer.model_validate(_answer(references=refs))
