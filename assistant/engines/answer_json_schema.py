"""What an LLM is asked to produce: a compact draft of an ``Answer``, as a bounded JSON Schema.

The model never writes chunk ids, reference metadata or quotes: it cites the numbers of the sources
it was shown, and the engine fills the references from the retrieved chunks. Every array and every
string has an upper bound, because grammar-constrained decoding of an unbounded array runs until
the token limit on small models. Bullets come before the verdict so the model commits to evidence
first and judges from it.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.schema import CriterionStatus, Determination

SECTION_TITLES = ("Evidence", "Pitfalls", "Alternatives / next steps", "Documentation")
MAX_BULLETS = 6
MAX_CRITERIA = 6
MAX_CITES = 3
MAX_RELATED = 3
MAX_CLAIM_CHARS = 400


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftBullet(_Strict):
    section: Literal["Evidence", "Pitfalls", "Alternatives / next steps", "Documentation"]
    text: str = Field(max_length=MAX_CLAIM_CHARS, description="A sentence copied from the source it cites.")
    sources: list[int] = Field(max_length=MAX_CITES, description="Numbers of the sources that say this.")


class DraftCriterion(_Strict):
    criterion: str = Field(max_length=MAX_CLAIM_CHARS, description="The criterion as the source words it.")
    status: CriterionStatus
    reason: str = Field(max_length=200, description="Why the question meets it, fails it or leaves it open.")
    sources: list[int] = Field(max_length=MAX_CITES)


class AnswerDraft(_Strict):
    """The model's whole reply. Field order is generation order: evidence, then the verdict."""

    bullets: list[DraftBullet] = Field(max_length=MAX_BULLETS)
    criteria: list[DraftCriterion] = Field(max_length=MAX_CRITERIA)
    determination: Determination
    headline: str = Field(max_length=300, description="One sentence: the verdict and its main reason.")
    related_questions: list[Annotated[str, Field(max_length=200)]] = Field(max_length=MAX_RELATED)


MAX_JUDGED = 14
MAX_FACTS = 3


class CriterionJudgementDraft(_Strict):
    """The model's judgement of one compiled criterion, by its number in the list it was shown."""

    criterion: int = Field(ge=1, le=MAX_JUDGED, description="The criterion's number in the list.")
    facts: list[Annotated[str, Field(max_length=200)]] = Field(
        max_length=MAX_FACTS, description="The question's own words that decide it (empty when unknown)."
    )
    status: CriterionStatus
    reason: str = Field(max_length=200, description="Both sides: what the question states, what the rule requires.")


class CriteriaJudgements(_Strict):
    """Reply to a criteria judgement: one entry per criterion shown, facts before the status."""

    judgements: list[CriterionJudgementDraft] = Field(max_length=MAX_JUDGED)


def criteria_schema(n_criteria: int) -> dict[str, Any]:
    """The judgement reply's schema; criterion numbers limited to 1..n_criteria."""
    schema = json_schema(CriteriaJudgements)
    number = schema["properties"]["judgements"]["items"]["properties"]["criterion"]
    number["enum"] = list(range(1, n_criteria + 1))
    schema["properties"]["judgements"]["maxItems"] = n_criteria
    return schema


class StandaloneQuestion(_Strict):
    """Reply to a follow-up rewrite: the follow-up as a question that needs no history."""

    question: str = Field(max_length=600)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Replace ``$ref``s by their definitions: several grammar converters do not follow references."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(copy.deepcopy(defs[node["$ref"].split("/")[-1]]), defs)
        out = {k: _inline(v, defs) for k, v in node.items() if k not in ("$defs", "title", "default")}
        if out.get("type") == "object":
            out["additionalProperties"] = False
            out["required"] = list(out.get("properties", {}))
        return out
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema, self-contained (no ``$ref``), every property required (strict mode)."""
    raw = model.model_json_schema()
    return _inline(raw, raw.get("$defs", {}))


def draft_schema(n_sources: int | None = None) -> dict[str, Any]:
    """The draft's schema; given the number of sources shown, citations are limited to 1..n_sources.

    With the numbers as an ``enum`` and ``minItems: 1``, a grammar-constrained server cannot emit an
    uncited claim or a source that was not listed; the engine still checks both afterwards.
    """
    schema = json_schema(AnswerDraft)
    if n_sources:
        for item in ("bullets", "criteria"):
            sources = schema["properties"][item]["items"]["properties"]["sources"]
            sources["items"] = {"type": "integer", "enum": list(range(1, n_sources + 1))}
            sources["minItems"] = 1
    return schema


def unbounded(schema: Any, path: str = "$") -> list[str]:
    """Paths of arrays without ``maxItems`` and free strings without ``maxLength`` (must be none)."""
    found: list[str] = []
    if isinstance(schema, dict):
        if schema.get("type") == "array" and "maxItems" not in schema:
            found.append(path)
        if schema.get("type") == "string" and "maxLength" not in schema and "enum" not in schema:
            found.append(path)
        for key, value in schema.items():
            found += unbounded(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            found += unbounded(value, f"{path}[{i}]")
    return found
