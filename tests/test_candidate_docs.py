"""candidate_docs is bounded by the retrieval pool, not by how many documents govern a service (issue 16).

Unit test of logic with a fake corpus reader (only ``docs_governing`` is read) and a hand-made
Retrieval: no Chroma, no model.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.clinical.facts import extract_facts
from assistant.engines.base import EngineRequest
from assistant.engines.rules_answer import RETRIEVED_DOCS, UNRETRIEVED_GOVERNING, candidate_docs
from assistant.query import parse_question
from assistant.retrieval import Retrieval

QUESTION = "Is lumbar facet radiofrequency ablation indicated after two medial branch blocks with 80% relief?"


class _Governing:
    """Every one of ``n`` documents governs the asked service; ``exact`` of them name it exactly."""

    def __init__(self, n: int, exact: set[str]) -> None:
        self.all = [f"doc-{i:04d}" for i in range(n)]
        self.exact = exact
        self.asked: list[set[str]] = []

    def docs_governing(self, services: Iterable[str]) -> list[str]:
        wanted = set(services)
        self.asked.append(wanted)
        if len(wanted) == 1:
            return sorted(self.exact)
        return list(self.all)


def _candidates(corpus: _Governing, retrieved: list[str]) -> list[str]:
    facts = extract_facts(QUESTION)
    assert facts.asks, "the question must type a service for this test to mean anything"
    retrieval = Retrieval(hits=[], docs=[(d, 1.0 / (i + 1)) for i, d in enumerate(retrieved)])
    request = EngineRequest(parse_question(QUESTION), retrieval, corpus, facts=facts)  # type: ignore[arg-type]
    return candidate_docs(request, facts)


def test_candidates_do_not_grow_with_the_governing_documents() -> None:
    retrieved = ["doc-0500", "doc-0007", "other-doc"]
    small = _candidates(_Governing(20, set()), retrieved)
    large = _candidates(_Governing(5000, set()), retrieved)
    assert len(large) == len(small) <= 2 + UNRETRIEVED_GOVERNING + RETRIEVED_DOCS
    # every governing document retrieval reached is kept, in retrieval order, first
    assert large[:2] == ["doc-0500", "doc-0007"]
    assert "other-doc" in large  # the best retrieved documents still enter


def test_unretrieved_documents_naming_the_service_itself_come_first() -> None:
    exact = {"doc-4990", "doc-4991"}
    corpus = _Governing(5000, exact)
    got = _candidates(corpus, ["doc-0001"])
    unretrieved = got[1 : 1 + UNRETRIEVED_GOVERNING]
    assert unretrieved[:2] == ["doc-4990", "doc-4991"]
    assert len(unretrieved) == UNRETRIEVED_GOVERNING
    assert any(len(s) == 1 for s in corpus.asked), "the exact service is asked on its own"
