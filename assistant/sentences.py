"""Split chunk text into quotable sentences and rank them against a question."""

from __future__ import annotations

import re

from ingest.textnorm import terms

_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])|\n+")


def split_sentences(text: str) -> list[str]:
    """Sentences (and table-row lines) of a chunk, each verbatim, without very short fragments."""
    out = []
    for part in _SPLIT.split(text):
        part = part.strip()
        if len(part) >= 20 and len(part.split()) >= 4:
            out.append(part)
    return out


def overlap(question_terms: set[str], sentence: str) -> float:
    """Share of the question's terms that the sentence contains (0..1)."""
    if not question_terms:
        return 0.0
    return len(question_terms & set(terms(sentence))) / len(question_terms)
