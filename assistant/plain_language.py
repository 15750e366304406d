"""The patient view of an answer: the same verdict and citations, said in plain language.

Design choice: the patient view is a rendering layer *derived from* the validated ``Answer``,
never a rewritten answer. Every cited bullet and criterion keeps its original text, which the
support rule (:mod:`assistant.support`) checked against the chunk it cites; the patient view adds
a plain explanation next to it (glossary terms explained, billing codes moved out of the way,
long sentences split). So the verdict, the citation numbers and the checked claims are exactly
the physician's, and ``PatientView.answer`` still passes ``Answer`` validation with the chunks.
The plain lines are explanations of cited text, not new claims, and are labelled as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.schema import Answer, CriterionStatus, Determination

GLOSSARY_PATH = Path(__file__).with_name("glossary.yaml")

PLAIN_VERDICT = {
    Determination.indicated: "The guidelines we checked support this for a situation like the one described.",
    Determination.not_indicated: (
        "The guidelines we checked do not support this for a situation like the one described."
    ),
    Determination.conditional: "The guidelines we checked support this only if certain conditions are met.",
    Determination.insufficient_evidence: "The guidelines we checked do not give a clear answer for this situation.",
}
PLAIN_STATUS = {
    CriterionStatus.met: "Met, from what the question says",
    CriterionStatus.not_met: "Not met, from what the question says",
    CriterionStatus.unknown: "Not known from the question",
}
PATIENT_NOTE = (
    "This is general information from published guidelines, not medical advice. Talk it over with your doctor, "
    "who knows your full history; your health plan makes its own coverage decisions."
)

# Billing codes: CPT/HCPCS (5 characters) and ICD-10-CM (letter, 2 digits, optional dot part).
_CODES = re.compile(
    r"\s*\(?\b(?:CPT|HCPCS|ICD-10(?:-CM)?)?\s*(?:\d{4}[0-9FTU]|[A-V]\d{4}|[A-TV-Z]\d{2}(?:\.[0-9A-Z]{1,4})?)"
    r"(?:\s*(?:-|–|to|through|,|and|/)\s*(?:\d{4}[0-9FTU]|[A-V]\d{4}|[A-TV-Z]\d{2}(?:\.[0-9A-Z]{1,4})?))*\b\)?"
)
_LONG_SENTENCE_WORDS = 20


class GlossaryError(ValueError):
    """The glossary file is malformed (names the entry and the problem)."""


@dataclass(frozen=True)
class Term:
    term: str
    plain: str
    source: str
    aliases: tuple[str, ...] = ()


@dataclass
class PlainLine:
    """One cited line of the answer with its plain-language explanation."""

    original: str
    plain: str
    citations: list[int]
    terms: list[Term] = field(default_factory=list)


@dataclass
class PatientView:
    answer: Answer  # the validated answer, audience "patient"; verdict, bullets and citations unchanged
    headline: str
    criteria: list[tuple[str, PlainLine]]  # (plain status, line)
    sections: list[tuple[str, list[PlainLine]]]
    glossary: list[Term]  # every term explained on the page, for a "words used" list
    note: str = PATIENT_NOTE


@lru_cache(maxsize=4)
def load_glossary(path: Path = GLOSSARY_PATH) -> tuple[Term, ...]:
    """Terms from the YAML glossary; every entry must have a plain definition and a public source."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("terms")
    if not isinstance(entries, dict) or not entries:
        raise GlossaryError(f"{path}: no 'terms' mapping")
    terms: list[Term] = []
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            raise GlossaryError(f"{path}: term '{name}' must be a mapping with 'plain' and 'source'")
        for key in ("plain", "source"):
            if not str(entry.get(key) or "").strip():
                raise GlossaryError(f"{path}: term '{name}' has no '{key}'")
        aliases = tuple(str(a) for a in entry.get("aliases") or ())
        terms.append(Term(str(name), str(entry["plain"]).strip(), str(entry["source"]).strip(), aliases))
    return tuple(terms)


@lru_cache(maxsize=4)
def _matcher(glossary: tuple[Term, ...]) -> tuple[re.Pattern[str], dict[str, Term]]:
    by_form = {form.lower(): t for t in glossary for form in (t.term, *t.aliases)}
    forms = sorted(by_form, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])", re.I)
    return pattern, by_form


def strip_codes(text: str) -> str:
    """The text without billing codes ("procedures 64635 and 64636" -> "procedures")."""
    out = _CODES.sub("", text)
    out = re.sub(r"\(\s*\)", "", out)
    return re.sub(r"\s+([,.;:?!])", r"\1", re.sub(r"\s{2,}", " ", out)).strip()


def shorter_sentences(text: str) -> str:
    """Long sentences split at semicolons and at ', and' / ', but' joins, so each says one thing."""
    parts: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        if len(sentence.split()) <= _LONG_SENTENCE_WORDS:
            parts.append(sentence)
            continue
        for piece in re.split(r";\s+|,\s+(?=(?:and|but|or)\s)", sentence):
            piece = re.sub(r"^(?:and|but|or)\s+", "", piece.strip())
            if piece:
                parts.append(piece[0].upper() + piece[1:].rstrip(".") + ".")
    return " ".join(parts)


def explain(text: str, glossary: tuple[Term, ...], seen: set[str] | None = None) -> tuple[str, list[Term]]:
    """Plain text: codes removed, sentences shortened, each glossary term explained once per page."""
    pattern, by_form = _matcher(glossary)
    seen = set() if seen is None else seen
    used: list[Term] = []

    def gloss(m: re.Match[str]) -> str:
        term = by_form[m.group(1).lower()]
        if term.term in seen:
            return m.group(1)
        seen.add(term.term)
        used.append(term)
        return f"{m.group(1)} ({term.plain})"

    plain = pattern.sub(gloss, shorter_sentences(strip_codes(text)))
    return plain, used


def patient_view(answer: Answer, glossary: tuple[Term, ...] | None = None) -> PatientView:
    """The patient rendering of a validated answer; the answer's claims and citations are untouched."""
    glossary = glossary or load_glossary()
    seen: set[str] = set()
    used: list[Term] = []

    def line(text: str, citations: list[int]) -> PlainLine:
        plain, terms = explain(text, glossary, seen)
        used.extend(terms)
        return PlainLine(text, plain, list(citations), terms)

    criteria = [(PLAIN_STATUS[c.status], line(c.criterion, c.citations)) for c in answer.criteria]
    sections = [(s.title, [line(b.text, b.citations) for b in s.bullets]) for s in answer.sections]
    return PatientView(
        answer=answer.model_copy(update={"audience": "patient"}),
        headline=PLAIN_VERDICT[answer.determination],
        criteria=criteria,
        sections=sections,
        glossary=used,
    )
