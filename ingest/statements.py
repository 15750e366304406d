"""Which sentences of a parsed document are compiled into rules, and what its code tables say.

A statement is one list item (policies list their criteria), or one sentence of a paragraph that
uses the wording of a rule or a recommendation ("should", "is not covered", "(Grade 1B)",
"usually appropriate"), under a heading that makes it a criterion, limitation, frequency,
documentation or recommendation (:func:`ingest.compile.heading_kind`). Each keeps the chunk that
holds it, so a rule is always cited from the text it was compiled from. Code tables (a "Code"
column beside a descriptor) become :class:`core.rules.CodeFact` records: the descriptor read with
the same vocabulary as questions, so "72141" alone tells the judge "MRI, cervical, without contrast".
"""

from __future__ import annotations

import re

from core.codes import expand_code_list, find_cpt, find_hcpcs
from core.lexicon import load_lexicon
from core.lexicon.grades import strength_of
from core.lexicon.reader import read
from core.records import Chunk
from core.rules import CodeFact, CompiledRule
from core.textnorm import normalize
from ingest.compile import GRADE, NOT_COVERED, REQUIRES, Statement, compile_statements, heading_kind
from ingest.parsing import Block, Table

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])")
_SOURCE_LINE = re.compile(r"^\s*sources?\s*:", re.I)
_CODE_HEADER = re.compile(r"^\s*(?:cpt|hcpcs|icd-?10(?:-cm)?|code)s?\b", re.I)
_DESCRIPTOR_HEADER = re.compile(r"descriptor|description|meaning|procedure|service", re.I)
MAX_STATEMENT_CHARS = 1200  # a longer "sentence" is a paragraph the splitter could not cut: not one rule


def _code_ranges(text: str) -> list[str]:
    ranges = re.findall(r"\b(\d{4}[0-9FTU])\s*[-–]\s*(\d{4}[0-9FTU])\b", text)
    return expand_code_list([f"{a}-{b}" for a, b in ranges] + find_cpt(text) + find_hcpcs(text))


def _normative(sentence: str) -> bool:
    """Worded as a rule or a recommendation (the same patterns the compiler reads kinds from)."""
    plain = sentence.lower()
    if GRADE.search(sentence) or NOT_COVERED.search(plain) or REQUIRES.search(plain):
        return True
    return strength_of(plain) is not None


def _chunk_for(text: str, chunks: list[Chunk]) -> Chunk | None:
    """The first narrative chunk that holds the whole statement (list items are never split)."""
    needle = normalize(text)
    return next((c for c in chunks if c.kind == "text" and needle in normalize(c.text)), None)


def statements_of(blocks: list[Block], chunks: list[Chunk]) -> list[Statement]:
    """The document's statements in order: list items, and rule-worded sentences of paragraphs."""
    out: list[Statement] = []
    for block in blocks:
        if block.kind not in ("list_item", "text") or heading_kind(block.section) is None:
            continue
        if block.kind == "list_item":
            pieces = [block.text]
        else:
            pieces = [s for s in _SENTENCE.split(block.text) if _normative(s)]
        codes = _code_ranges(" ".join(block.section[1:]))
        for piece in pieces:
            piece = piece.strip()
            if len(piece) < 12 or len(piece) > MAX_STATEMENT_CHARS or _SOURCE_LINE.match(piece):
                continue
            chunk = _chunk_for(piece, chunks)
            if chunk is not None:
                origin = "list" if block.kind == "list_item" else "sentence"
                out.append(Statement(piece, block.section, codes, chunk.chunk_id, origin))
    return out


def compile_document(doc_id: str, title: str, blocks: list[Block], chunks: list[Chunk]) -> list[CompiledRule]:
    """The document's compiled rules (see :mod:`ingest.compile`)."""
    return compile_statements(doc_id, title, statements_of(blocks, chunks))


def _code_columns(table: Table) -> tuple[int, int] | None:
    header = [h or "" for h in table.header]
    code = next((i for i, h in enumerate(header) if _CODE_HEADER.match(h)), None)
    if code is None:
        return None
    descriptor = next((i for i, h in enumerate(header) if i != code and _DESCRIPTOR_HEADER.search(h)), None)
    if descriptor is None:
        descriptor = next((i for i in range(len(header)) if i != code), None)
    return None if descriptor is None else (code, descriptor)


def code_facts(doc_id: str, tables: list[Table]) -> list[CodeFact]:
    """Each code row of the document's code tables, with the services and modifiers its descriptor names."""
    lexicon = load_lexicon()
    out: list[CodeFact] = []
    for table in tables:
        columns = _code_columns(table)
        if columns is None:
            continue
        code_col, text_col = columns
        for row in table.rows:
            if max(code_col, text_col) >= len(row.cells):
                continue
            codes = _code_ranges(row.cells[code_col])
            descriptor = row.cells[text_col].strip()
            if not codes or not descriptor:
                continue
            reading = read(descriptor)
            services = [m.concept for m in reading.mentions if m.kind == "service" and not m.negated]
            services = [s for s in dict.fromkeys(services) if not lexicon.concepts[s].generic]
            modifiers: dict[str, str] = {}
            for marker in reading.markers:
                if marker.axis not in ("target",):
                    modifiers.setdefault(marker.axis, marker.value)
            for code in codes:
                out.append(
                    CodeFact(code=code, doc_id=doc_id, descriptor=descriptor, services=services, modifiers=modifiers)
                )
    return out
