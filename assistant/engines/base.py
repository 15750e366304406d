"""The answer-engine interface: everything an engine needs in, one validated ``Answer`` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from assistant.query import ParsedQuestion
from assistant.retrieval import Retrieval
from assistant.schema import Answer
from store.store import Store


@dataclass
class EngineRequest:
    question: ParsedQuestion
    retrieval: Retrieval
    store: Store
    audience: str = "physician"


class AnswerEngine(Protocol):
    name: str

    def answer(self, request: EngineRequest) -> Answer:
        """A validated answer; ``insufficient_evidence`` rather than an unverifiable claim."""
        ...
