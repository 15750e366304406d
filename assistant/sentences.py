"""Split chunk text into quotable sentences and rank them against a question.

Both are cached by text: the same documents come back question after question, and re-splitting
and re-normalising their sentences was a measurable share of answer latency.
"""

from __future__ import annotations

import re
from functools import lru_cache

from core.textnorm import terms

_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])|\n+")


@lru_cache(maxsize=50000)
def split_sentences(text: str) -> tuple[str, ...]:
    """Sentences (and table-row lines) of a chunk, each verbatim, without very short fragments."""
    out = []
    for part in _SPLIT.split(text):
        part = part.strip()
        if len(part) >= 20 and len(part.split()) >= 4:
            out.append(part)
    return tuple(out)


@lru_cache(maxsize=200000)
def sentence_terms(sentence: str) -> frozenset[str]:
    return frozenset(terms(sentence))


def overlap(question_terms: set[str], sentence: str) -> float:
    """Share of the question's terms that the sentence contains (0..1)."""
    if not question_terms:
        return 0.0
    return len(question_terms & sentence_terms(sentence)) / len(question_terms)
