"""Query understanding: codes, the procedure asked about, the clinical context, negations and facts.

Physicians write "Are 64635/64636 indicated for M47.817 with a prior lumbar fusion?" or "Chronic
hip pain, x-rays unrevealing, I suspect impingement. CT arthrogram of the hip?". This module turns
either into a :class:`ParsedQuestion`: ICD-10-CM codes expanded to their descriptions, CPT/HCPCS
codes, the procedure phrase and the clinical context, negated findings ("without radiculopathy")
and patient facts ("prior fusion", "3 months", "two blocks with 80 % relief", age).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.clinical.negation import find_negations
from assistant.clinical.thresholds import UNITS_IN_MONTHS, Stated, number_words, stated_values
from core.codes import find_cpt, find_hcpcs, find_icd10
from core.safetext import clean_text
from core.textnorm import expand

_ASK_VERBS = (
    r"appropriate|indicated|necessary|recommended|covered|reasonable|warranted|needed|useful|helpful|"
    r"justified|ok|okay|approved|supported|the right (?:test|study|choice)|a good (?:test|study|choice)"
)
_PATTERNS = [
    # "Is X (medically) indicated for Y?", "Are X appropriate in Y?"
    re.compile(
        r"^(?:is|are|would|will|should|does|do|can|could)\s+(?:an?\s+|the\s+)?(?P<proc>.+?)\s+(?:be\s+)?"
        r"(?:considered\s+)?(?:medically\s+|clinically\s+)?(?:usually\s+)?(?:" + _ASK_VERBS + r")\b"
        r"\s*(?:for|in|when|if|with|to)?\s*(?P<ctx>.*)$",
        re.I | re.S,
    ),
    # "What about X for Y?"
    re.compile(
        r"^(?:what|how)\s+about\s+(?:an?\s+|the\s+)?(?P<proc>.+?)(?:\s+(?:for|in|to|after|on)\s+(?P<ctx>.+))?\??$",
        re.I | re.S,
    ),
    # "Do we need X in Y?"
    re.compile(
        r"^(?:do|does|would|will|should)\s+(?:we|i|you|they)\s+(?:need|want|have\s+to\s+get|get|order)\s+"
        r"(?:an?\s+|the\s+)?(?P<proc>.+?)\s+(?:for|in|on|after)\s+(?P<ctx>.+)$",
        re.I | re.S,
    ),
    # "Does a 3 yo with X need a VCUG?"
    re.compile(
        r"^(?:does|do|would|will|should)\s+(?P<ctx>.+?)\s+(?:need|require|get|warrant|benefit\s+from)\s+"
        r"(?:an?\s+|the\s+|any\s+)?(?P<proc>[^?.]+?)\s*\??$",
        re.I | re.S,
    ),
    # "Should I order X for Y?"
    re.compile(
        r"^(?:should|can|could|would|do|may|must)\s+(?:i|we|you|they)\s+(?:order|get|do|obtain|perform|request|"
        r"use|consider|schedule|bill|repeat|redo|try|start|add|continue|give|offer|recommend)\s+"
        r"(?:an?\s+|the\s+)?(?P<proc>.+?)(?:\s+(?:for|in|to|on|after)\s+(?P<ctx>.+))?\??$",
        re.I | re.S,
    ),
]
_PURPOSE = re.compile(
    r"\s+(?:to\s+(?:look\s+for|rule\s+out|r/o|evaluate|assess|check\s+for|exclude|see\s+if|find)|looking\s+for)\b", re.I
)
_QUESTION_START = re.compile(
    r"^(?:is|are|was|were|would|will|should|shall|does|do|did|can|could|may|might|must|what|which|when|where|"
    r"who|why|how|in|for|if)\b",
    re.I,
)
_PROCEDURE_FIRST = re.compile(
    r"^(?P<proc>[^?]{2,120}?)\s+(?:for|in|to\s+evaluate|to\s+assess)\s+(?P<ctx>.+)$", re.I | re.S
)
_LEADING_FILLER = re.compile(
    r"^(?:and\s+|so\s+|then\s+|next\s*[:,-]?\s*|is\s+|are\s+|would\s+|should\s+|get\s+|order\s+|ok\s+to\s+|"
    r"worth\s+(?:getting|ordering|doing)\s+|what\s+about\s+|how\s+about\s+|do\s+we\s+need\s+|do\s+i\s+need\s+|"
    r"can\s+i\s+get\s+|an?\s+|the\s+)+",
    re.I,
)
_TRAILING_FILLER = re.compile(r"\s*(?:next|now|first|then|here|too|as well|instead|indicated|appropriate)\s*$", re.I)
# "MRI abdomen reasonable as a next look?": the procedure ends where the ask begins.
_ASK_TAIL = re.compile(
    r"\s+(?:(?:be|is|are)\s+)?(?:reasonable|appropriate|indicated|ok|okay|warranted|needed|useful|worth\s+it|"
    r"worthwhile|a\s+good\s+idea|the\s+right|justified|as\s+(?:a|the)\s+(?:next|first))\b.*$",
    re.I,
)

_HISTORY = re.compile(
    r"\b(?:prior|previous|previously|history\s+of|status\s+post|post|after|following|had\s+(?:an?\s+)?|"
    r"underwent|s/p)\s+(?P<what>[a-z][a-z\s-]{2,60}?)(?=[.,;:?!()]|\s+(?:and|but|with|who|at|in|on)\b|$)",
    re.I,
)


@dataclass
class ParsedQuestion:
    text: str
    icd10: list[tuple[str, str]] = field(default_factory=list)
    cpt: list[str] = field(default_factory=list)
    hcpcs: list[str] = field(default_factory=list)
    procedure: str | None = None  # the service asked about, as written
    context: str = ""  # the clinical situation, as written (codes expanded)
    negated: set[str] = field(default_factory=set)  # stems of negated findings
    affirmed: set[str] = field(default_factory=set)  # stems of findings stated as present
    history: list[str] = field(default_factory=list)  # prior procedures/conditions ("spinal fusion")
    stated: list[Stated] = field(default_factory=list)  # numbers it states: durations, percentages, BMI 36
    age_years: float | None = None

    @property
    def retrieval_text(self) -> str:
        """The question with ICD-10-CM codes followed by their descriptions."""
        extra = " ".join(desc for _, desc in self.icd10)
        return f"{self.text} {extra}".strip()


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long, no words)."""


def check_question(text: object, max_chars: int) -> str:
    """The question as every later step reads it, or a :class:`QuestionError` saying what is wrong.

    Invalid code points (lone surrogates: a shell's invalid UTF-8; noncharacters) become U+FFFD,
    control and format characters (terminal escape sequences, bidi overrides) are dropped,
    whitespace is collapsed (:func:`core.safetext.clean_text`). Text far over the limit is refused
    before any of that work is done.
    """
    if text is None:
        text = ""
    if not isinstance(text, (str, bytes, bytearray)):
        raise QuestionError(f"the question must be text, not {type(text).__name__}")
    if len(text) > 8 * max_chars:
        raise QuestionError(
            f"the question is {len(text)} characters long; the limit is {max_chars} "
            "(ask about one procedure and the relevant findings)"
        )
    cleaned = re.sub(r"\s+", " ", clean_text(text)).strip()
    if not cleaned:
        raise QuestionError("the question is empty: ask about a procedure and a clinical situation")
    if len(cleaned) > max_chars:
        raise QuestionError(
            f"the question is {len(cleaned)} characters long; the limit is {max_chars} "
            "(ask about one procedure and the relevant findings)"
        )
    if not re.search(r"[A-Za-z]{2,}|\d{4}", cleaned):
        raise QuestionError("the question has no words to search for")
    return cleaned


def _split_procedure(text: str) -> tuple[str | None, str]:
    for pattern in _PATTERNS:
        m = pattern.match(text.strip())
        if m and m.group("proc").strip():
            proc = m.group("proc").strip(" ,")
            if len(proc.split()) <= 40:
                return proc, (m.group("ctx") or "").strip(" ?.")
    # Procedure first: "MRI pelvis w/ and w/o for a 47 yo man with hematospermia?"
    single = len(re.split(r"(?<=[.;:!?])\s+", text.strip())) == 1
    if text.strip().endswith("?") and single and not _QUESTION_START.match(text):
        m = _PROCEDURE_FIRST.match(text.strip())
        if m and len(m.group("proc").split()) <= 12:
            return m.group("proc").strip(" ,-"), m.group("ctx").strip(" ?.")
    # Physician style: "Context. Context. Procedure?" - the last short question sentence.
    parts = [p.strip() for p in re.split(r"(?<=[.;:!?])\s+|\s+-\s+", text.strip()) if p.strip()]
    if len(parts) >= 2 and parts[-1].endswith("?"):
        last = _LEADING_FILLER.sub("", parts[-1].rstrip("?").strip())
        last = _ASK_TAIL.sub("", _TRAILING_FILLER.sub("", last)).strip(" ,")
        purpose = _PURPOSE.search(last)
        if purpose and purpose.start() > 0:  # "head CT to look for brain mets": the aim is context
            return last[: purpose.start()].strip(" ,"), " ".join([*parts[:-1], last[purpose.start() :]]).strip()
        if last and len(last.split()) <= 12:
            return last, " ".join(parts[:-1]).strip()
    return None, text.strip(" ?")


def find_age(text: str) -> float | None:
    """Patient age in years from "25-year-old", "3-week-old", "18 months old", "age 67", "67 yo"."""
    canon = number_words(text)
    m = re.search(r"(\d+(?:\.\d+)?)\s*-?\s*(day|week|month|year)s?\s*-?\s*old\b", canon)
    if m:
        return float(m.group(1)) * UNITS_IN_MONTHS[m.group(2)] / 12.0
    m = re.search(r"\b(?:age|aged)\s*(\d{1,3})\b", canon)
    if m:
        return float(m.group(1))
    m = re.search(r"\b(\d{1,3})\s*(?:m|f|male|female|man|woman|boy|girl)\b", canon)
    if m and 0 < int(m.group(1)) < 110:
        return float(m.group(1))
    return None


def parse_question(text: str) -> ParsedQuestion:
    """Parse an already length-checked question."""
    icd = find_icd10(text)
    cpt = find_cpt(text)
    hcpcs = [c for c in find_hcpcs(text) if c not in {code for code, _ in icd}]
    procedure, context = _split_procedure(text)
    for code, desc in icd:
        context = (
            re.sub(re.escape(code), f"{code} ({desc})", context, flags=re.I)
            if code.lower() in context.lower()
            else f"{context} {desc}"
        )
    negated, affirmed = find_negations(f"{context} " + " ".join(d for _, d in icd))
    history = [re.sub(r"\s+", " ", m.group("what")).strip() for m in _HISTORY.finditer(expand(text))]
    return ParsedQuestion(
        text=text,
        icd10=icd,
        cpt=cpt,
        hcpcs=hcpcs,
        procedure=procedure,
        context=context.strip(),
        negated=set(negated),
        affirmed=set(affirmed),
        history=history,
        stated=stated_values(text),
        age_years=find_age(text),
    )
