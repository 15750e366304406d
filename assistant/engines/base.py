"""The answer-engine interface: everything an engine needs in, one validated ``Answer`` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

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


class AnswerEngine(Protocol):
    name: str

    def answer(self, request: EngineRequest) -> Answer:
        """A validated answer; ``insufficient_evidence`` rather than an unverifiable claim."""
        ...
