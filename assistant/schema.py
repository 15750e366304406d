"""The ``Answer`` contract: what every consumer (CLI, UI, evals) reads, and what it refuses.

Validation takes the retrieved chunks as context (``Answer.model_validate(data,
context={"chunks": {chunk_id: text}})``) and refuses
- a bullet with no citation,
- a citation number with no reference,
- a reference whose quote is not verbatim in its chunk, or whose chunk was not retrieved,
- a bullet or criterion whose text is not supported by a chunk it cites (rule:
  :mod:`assistant.support`).
Structural checks always run; the checks against chunk text run whenever chunks are given. The
engine never returns an answer that failed them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, model_validator

from assistant.support import quote_in, supports

DISCLAIMER = (
    "GuideQA summarises the cited guideline documents to support, not replace, clinical judgement "
    "and payer review. Check each cited source; coverage also depends on the patient's plan and "
    "the full medical record."
)


class Determination(StrEnum):
    indicated = "indicated"
    not_indicated = "not_indicated"
    conditional = "conditional"
    insufficient_evidence = "insufficient_evidence"


# The one table of verdict labels: the offline engine's headlines, the terminal and the chat badge use it.
VERDICT_LABELS: dict[Determination, str] = {
    Determination.indicated: "Indicated",
    Determination.not_indicated: "Not indicated",
    Determination.conditional: "Conditional",
    Determination.insufficient_evidence: "Insufficient evidence",
}


class CriterionStatus(StrEnum):
    met = "met"
    not_met = "not_met"
    unknown = "unknown"


class CriterionCheck(BaseModel):
    """One criterion that decides the verdict, judged against what the question says.

    ``met`` / ``not_met`` come only from a typed fact of the question meeting or contradicting the
    compiled condition of ``rule_id``; ``facts`` quotes those facts. A criterion with no typed
    fact on its concept is ``unknown``: it is what to document."""

    criterion: str = Field(min_length=1)
    status: CriterionStatus
    reason: str = ""
    citations: list[int] = Field(default_factory=list)
    rule_id: str | None = Field(default=None, description="The compiled rule judged (see `guideqa docs show`).")
    kind: str | None = Field(
        default=None, description="requirement, exclusion, not_covered, frequency, recommendation..."
    )
    facts: list[str] = Field(
        default_factory=list, description="The question's words for the typed facts that decided it."
    )


class Bullet(BaseModel):
    text: str = Field(min_length=1)
    citations: list[int] = Field(default_factory=list)


class Section(BaseModel):
    title: str
    bullets: list[Bullet] = Field(default_factory=list)


class Reference(BaseModel):
    """A numbered citation: one chunk of one document, with a verbatim quote from it."""

    number: int = Field(ge=1)
    doc_id: str
    title: str
    publisher: str
    year: int | None = None
    version: str = Field(description="The publisher's own version label from the document metadata.")
    revision: int | None = Field(default=None, description="GuideQA's stored revision number of the document.")
    status: str | None = Field(default=None, description="Review status of that revision when it answered.")
    updated: str | None = Field(default=None, description="ISO date that revision was last approved or indexed.")
    source_url: str | None = None
    chunk_id: str
    section: str = ""
    quote: str = Field(min_length=1)

    @property
    def cited_as(self) -> str:
        """``doc_id@revision``: exactly which stored revision answered (``doc_id`` alone when unknown)."""
        return f"{self.doc_id}@{self.revision}" if self.revision is not None else self.doc_id


AnswerKind = Literal["necessity", "information"]


class Answer(BaseModel):
    question: str
    kind: AnswerKind = Field(
        default="necessity",
        description="necessity: a verdict answers it; information (what documentation, how often): the"
        " answer is the list, and consumers show no verdict badge.",
    )
    determination: Determination
    headline: str = Field(min_length=1)
    criteria: list[CriterionCheck] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    related_questions: list[str] = Field(default_factory=list)
    disclaimer: str = DISCLAIMER
    engine: str
    audience: Literal["physician", "patient"] = "physician"
    retrieved_doc_ids: list[str] = Field(default_factory=list, description="Documents retrieved, best first.")
    timings: dict[str, float] = Field(default_factory=dict, description="Milliseconds per stage.")
    fallback: str | None = Field(
        default=None,
        description="Set when the configured engine's answer could not be used and another engine's is shown: why.",
    )
    understood_as: str | None = Field(
        default=None, description="A follow-up read as this standalone question (None for a standalone question)."
    )
    changes: list[str] = Field(default_factory=list, description="What a follow-up changed in the earlier question.")
    understood_by: Literal["deterministic", "engine"] | None = Field(
        default=None, description="How a follow-up was rewritten: GuideQA's own rules or the answer engine (an LLM)."
    )

    @model_validator(mode="after")
    def _citations_resolve(self, info: ValidationInfo) -> Answer:
        numbers = [r.number for r in self.references]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"references must be numbered 1..{len(numbers)} in order, got {numbers}")
        known = set(numbers)
        for section in self.sections:
            for bullet in section.bullets:
                if not bullet.citations:
                    raise ValueError(f"bullet in '{section.title}' has no citation: {bullet.text[:80]!r}")
                missing = [n for n in bullet.citations if n not in known]
                if missing:
                    raise ValueError(f"bullet cites [{missing[0]}] but no such reference is listed")
        for check in self.criteria:
            missing = [n for n in check.citations if n not in known]
            if missing:
                raise ValueError(f"criterion cites [{missing[0]}] but no such reference is listed")
        chunks = _context_chunks(info)
        if chunks is not None:
            self._check_against(chunks)
        return self

    def _check_against(self, chunks: dict[str, str]) -> None:
        by_number = {r.number: r for r in self.references}
        for ref in self.references:
            text = chunks.get(ref.chunk_id)
            if text is None:
                raise ValueError(f"reference [{ref.number}] cites chunk {ref.chunk_id} that was not retrieved")
            if not quote_in(ref.quote, text):
                raise ValueError(f"reference [{ref.number}] quote is not verbatim in chunk {ref.chunk_id}")
        for section in self.sections:
            for bullet in section.bullets:
                if not any(supports(bullet.text, chunks[by_number[n].chunk_id]) for n in bullet.citations):
                    raise ValueError(f"bullet is not supported by the chunks it cites: {bullet.text[:80]!r}")
        for check in self.criteria:
            if check.citations and not any(
                supports(check.criterion, chunks[by_number[n].chunk_id]) for n in check.citations
            ):
                raise ValueError(f"criterion is not supported by the chunks it cites: {check.criterion[:80]!r}")

    def cited_doc_ids(self) -> list[str]:
        return list(dict.fromkeys(r.doc_id for r in self.references))


def _context_chunks(info: ValidationInfo) -> dict[str, str] | None:
    context: Any = info.context
    if isinstance(context, dict) and isinstance(context.get("chunks"), dict):
        chunks: dict[str, str] = context["chunks"]
        return chunks
    return None
