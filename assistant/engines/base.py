"""The answer-engine interface: everything an engine needs in, one validated ``Answer`` out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from assistant.clinical.records import ClinicalFacts
from assistant.corpus import CorpusReader
from assistant.query import ParsedQuestion
from assistant.retrieval import Retrieval
from assistant.schema import Answer


@dataclass(frozen=True)
class EngineRequest:
    """A parsed question, what retrieval found for it, and read-only access to the corpus (never the store)."""

    question: ParsedQuestion
    retrieval: Retrieval
    corpus: CorpusReader
    audience: str = "physician"
    # The typed clinical facts of the question (merged over the conversation for a follow-up), given
    # directly or as a function that reads them on first use: a question a rating table answers never
    # pays for the clinical reader. None for callers that build a request by hand without them.
    facts: ClinicalFacts | None = None
    facts_of: Callable[[], ClinicalFacts] | None = None
    _cache: dict[str, ClinicalFacts] = field(default_factory=dict, compare=False, repr=False)

    def clinical_facts(self) -> ClinicalFacts | None:
        """The typed facts, read once."""
        if self.facts is not None:
            return self.facts
        if self.facts_of is None:
            return None
        if "facts" not in self._cache:
            self._cache["facts"] = self.facts_of()
        return self._cache["facts"]


class AnswerEngine(Protocol):
    name: str

    def answer(self, request: EngineRequest) -> Answer:
        """A validated answer; ``insufficient_evidence`` rather than an unverifiable claim."""
        ...
