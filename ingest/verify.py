"""Checks an editor runs on a guideline summary before approving it (``guideqa docs check``, tests).

- Sources: every section (each ``##`` heading, and a ``###`` heading unless its parent names a
  source) starts with a ``Source:`` / ``Sources:`` line naming ids of the front matter's
  ``sources`` list, and every id it names is listed there.
- Polarity: a statement under a heading that means "indicated" or "criteria" is not worded as a
  limitation ("is not covered", "usually not appropriate"), one under a limitations heading is
  not worded as an indication ("is usually appropriate", "is covered"), and a "may be appropriate"
  statement sits under neither.
- Contradictions: two statements of one document that compile to the same scope (service,
  modifiers, population condition) with opposite verdicts (recommended vs recommended against,
  covered vs not covered), unless one of them says which wins ("takes precedence", "unless",
  "instead").
Each problem names the document, the statement and what is wrong. Nothing here changes a document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.lexicon.grades import strength_of
from core.records import LoadedDocument
from core.rules import CompiledRule
from ingest.compile import NOT_COVERED, heading_kind
from ingest.parsing import Block

_SOURCE_LINE = re.compile(r"^\s*sources?\s*:\s*(.+)$", re.I)
_SOURCE_ID = re.compile(r"\b(S\d+)\b")
_INDICATED_HEADING = re.compile(r"\bindicat|\bcriteria\b|\bcovered when\b|\bcoverage\b", re.I)
_NOT_INDICATED_HEADING = re.compile(r"limitation|not covered|not indicated|exclusion|contraindicat", re.I)
_PRECEDENCE = re.compile(
    r"\btakes? precedence\b|\bunless\b|\binstead\b|\boverrides?\b|\bapplies in place of\b|\bapplies only to\b|"
    r"\bgoverns\b",
    re.I,
)
_COVERED = re.compile(r"\b(?:is|are)\s+(?:also\s+)?covered\b|\bis\s+medically\s+necessary\b", re.I)


@dataclass(frozen=True)
class Problem:
    doc_id: str
    where: str  # the heading path or the statement
    message: str

    def __str__(self) -> str:
        return f"{self.doc_id}: {self.where}: {self.message}"


def section_sources(doc: LoadedDocument, blocks: list[Block]) -> list[Problem]:
    """Sections that name no source, or name ids the front matter does not list."""
    listed = {s.id for s in doc.meta.sources}
    problems: list[Problem] = []
    if not listed:
        problems.append(Problem(doc.meta.doc_id, "front matter", "no `sources` list: name the sources read"))
    sourced: dict[int, bool] = {}  # heading level -> whether the current heading at that level names a source
    for i, block in enumerate(blocks):
        if block.kind != "heading" or block.pseudo or block.level < 2:
            continue
        following = next((b for b in blocks[i + 1 :] if b.kind != "heading" or b.level <= block.level), None)
        line = following.text.strip() if following is not None and following.kind == "text" else ""
        match = _SOURCE_LINE.match(line.splitlines()[0]) if line else None
        parent_sourced = any(v for level, v in sourced.items() if level < block.level)
        sourced = {level: v for level, v in sourced.items() if level < block.level}
        sourced[block.level] = bool(match)
        where = " › ".join([*block.section[1:], block.text])
        if match is None:
            if block.level == 2 or not parent_sourced:
                problems.append(
                    Problem(doc.meta.doc_id, where, "the section names no source (add a `Source: S1` line)")
                )
            continue
        unknown = sorted(set(_SOURCE_ID.findall(match.group(1))) - listed)
        if unknown:
            problems.append(Problem(doc.meta.doc_id, where, f"names {', '.join(unknown)}, not in the `sources` list"))
        if not _SOURCE_ID.search(match.group(1)):
            problems.append(Problem(doc.meta.doc_id, where, "the Source line names no source id"))
    return problems


def polarity(doc_id: str, blocks: list[Block]) -> list[Problem]:
    """Statements whose own wording contradicts the heading they sit under."""
    problems: list[Problem] = []
    for block in blocks:
        if block.kind != "list_item" or heading_kind(block.section) is None:
            continue
        heading = block.section[-1] if block.section else ""
        text = block.text
        if _PRECEDENCE.search(text):
            continue  # a statement of which rule wins ("that NCD governs such a request") has no polarity of its own
        strength = strength_of(text)
        negative = bool(NOT_COVERED.search(text.lower())) or strength == "against"
        positive = strength == "for" or bool(_COVERED.search(text) and not NOT_COVERED.search(text.lower()))
        if strength == "conditional" and re.search(r"\bmay be appropriate\b", text, re.I):
            if _NOT_INDICATED_HEADING.search(heading) or _INDICATED_HEADING.search(heading):
                problems.append(Problem(doc_id, text[:90], f"'may be appropriate' under '{heading}'"))
            continue
        if _NOT_INDICATED_HEADING.search(heading) and positive and not negative:
            problems.append(Problem(doc_id, text[:90], f"worded as an indication under '{heading}'"))
        elif (
            _INDICATED_HEADING.search(heading)
            and not _NOT_INDICATED_HEADING.search(heading)
            and negative
            # "covered only when ..." is a criterion
            and not re.search(r"\brequires?\b|\bonly\b|\bunless\b", text, re.I)
        ):
            problems.append(Problem(doc_id, text[:90], f"worded as a limitation under '{heading}'"))
    return problems


def _verdict(rule: CompiledRule) -> str | None:
    if rule.kind == "recommendation":
        return {"for": "for", "against": "against"}.get(rule.strength or "")
    if rule.kind == "not_covered":
        return "against"
    if rule.kind == "requirement" and _COVERED.search(rule.text):
        return "for"
    return None


def _scope_key(rule: CompiledRule) -> str:
    condition = rule.condition.model_dump_json(exclude={"text", "examples"}) if rule.condition else ""
    trigger = rule.trigger.model_dump_json(exclude={"text", "examples"}) if rule.trigger else ""
    mods = sorted((k, tuple(sorted(v))) for k, v in rule.scope.modifiers.items())
    return repr((sorted(rule.scope.services), mods, condition, trigger))


def contradictions(rules: list[CompiledRule]) -> list[Problem]:
    """Pairs of statements with the same compiled scope and opposite verdicts, neither saying which wins."""
    seen: dict[str, CompiledRule] = {}
    problems: list[Problem] = []
    for rule in rules:
        verdict = _verdict(rule)
        if verdict is None or not rule.scope.services or _PRECEDENCE.search(rule.text):
            continue
        key = _scope_key(rule)
        other = seen.get(key)
        if other is not None and _verdict(other) != verdict and not _PRECEDENCE.search(other.text):
            problems.append(
                Problem(rule.doc_id, rule.text[:90], f"contradicts '{other.text[:90]}' (same scope, opposite verdicts)")
            )
        seen.setdefault(key, rule)
    return problems
