"""Text in a document that speaks to the answer engine instead of to a clinician (prompt injection).

A guideline says what is indicated for whom; it never tells "the assistant" to ignore its
instructions or to answer "indicated for every question". Such text can only be an attempt to steer
an answer engine, so a served document that contains any is never used to answer (it is reported
at ingest, and ``guideqa docs check`` flags it for the editor). The patterns are narrow on purpose:
each needs words about instructions, prompts or the assistant itself, or one of GuideQA's verdict
words applied to every question, so clinical prose does not match (checked on the starter corpus and
the shared evalset corpora).
"""

from __future__ import annotations

import re

_PATTERNS = [
    # "Ignore previous instructions", "disregard all prior rules", "forget the above context"
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.;\n]{0,40}?\b(?:previous|prior|above|earlier|preceding|"
    r"all|any|your|system|these|those|other)\b[^.;\n]{0,30}?\b(?:instructions?|prompts?|rules|directions|"
    r"directives|context|messages?|guardrails?)\b",
    # "You are an AI assistant", "act as a language model", "pretend to be the system"
    r"\b(?:you\s+are|you're|act\s+as|pretend\s+(?:to\s+be|you\s+are)|behave\s+as|role-?play\s+as)\s+(?:an?\s+|the\s+)?"
    r"(?:ai|assistant|chat-?bot|language\s+model|llm|answer\s+engine)\b",
    r"\b(?:system\s+prompt|developer\s+mode|jailbreak|prompt\s+injection)\b",
    # "answer indicated for every question", "always respond not_indicated to all requests"
    r"\b(?:answer|respond|reply|output|return|classify|label|mark|rate)\b[^.;\n]{0,20}?\b(?:indicated|not[\s_]indicated|"
    r"conditional|insufficient[\s_]evidence)\b[^.;\n]{0,40}?\b(?:every|all|any|each)\s+(?:questions?|quer(?:y|ies)|"
    r"requests?|prompts?|asks?)\b",
    # "The assistant must answer ...", "this AI should say ..."
    r"\b(?:the|this|any)\s+(?:assistant|ai|chat-?bot|language\s+model|llm|answer\s+engine)\s+(?:must|should|shall|"
    r"will|needs\s+to|has\s+to)\b",
]
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def addresses_the_engine(text: str) -> bool:
    """Whether the text holds an instruction to an answer engine (see the module docstring)."""
    return _INSTRUCTION.search(text) is not None


def instruction_passages(text: str, *, width: int = 80) -> list[str]:
    """Each matched passage with a little context, for reports to the editor."""
    out = []
    for m in _INSTRUCTION.finditer(text):
        start = max(0, m.start() - 10)
        out.append(" ".join(text[start : m.end() + 10].split())[:width])
    return out
