"""Structured evidence extracted at ingest, each record linked to the chunk that holds it.

Two generic shapes, not tied to any publisher:
- rating tables: any table with a procedure-like column and a numeric rating column (the ACR
  1-9 scale is one example) become (document, population/variant, procedure, rating, comment);
- criteria lists: bullets under headings such as Indications / Criteria (must be met),
  Limitations / Not covered / Contraindications (rule the service out) and Documentation become
  (document, procedure, criterion, polarity).
"""

from __future__ import annotations

import re

from core.codes import expand_code_list, find_cpt, find_hcpcs
from core.records import Chunk, Criterion, RatingRow, RatingTable
from core.textnorm import normalize
from ingest.parsing import Block, Table

_PROCEDURE_HEADER = re.compile(
    r"procedure|treatment|test|exam|study|intervention|imaging|modality|service|option|therapy", re.I
)
_RATING_HEADER = re.compile(r"rating|score|appropriateness", re.I)
_COMMENT_HEADER = re.compile(r"comment|note|remark", re.I)
_RATING_VALUE = re.compile(r"^\s*(\d{1,2})\s*(?:/\s*\d{1,2})?\s*$")

EXCLUDE_HEADING = re.compile(
    r"limitation|not covered|non-?covered|exclusion|contraindicat|not (?:be )?(?:considered )?"
    r"(?:medically )?(?:necessary|indicated|reasonable|recommended)|not indicated|investigational",
    re.I,
)
INCLUDE_HEADING = re.compile(
    r"indication|(?<!appropriateness )criteria|coverage|covered|medically necessary|when .*indicated|requirements?|"
    r"eligib|patient selection",
    re.I,
)
DOCUMENTATION_HEADING = re.compile(r"documentation", re.I)


def _rating_layout(table: Table) -> tuple[int, int, int | None] | None:
    """(procedure column, rating column, comment column) of a rating table, or None."""
    header = [h or "" for h in table.header]
    rating_idx = next((i for i, h in enumerate(header) if _RATING_HEADER.search(h)), None)
    if rating_idx is None:
        return None
    rows = [r for r in table.rows if r.cells]
    numeric = sum(1 for r in rows if rating_idx < len(r.cells) and _RATING_VALUE.match(r.cells[rating_idx]))
    if not rows or numeric / len(rows) < 0.5:
        return None
    proc_idx = next((i for i, h in enumerate(header) if i != rating_idx and _PROCEDURE_HEADER.search(h)), None)
    if proc_idx is None:
        proc_idx = 0 if rating_idx != 0 else 1
    comment_idx = next((i for i, h in enumerate(header) if _COMMENT_HEADER.search(h)), None)
    return proc_idx, rating_idx, comment_idx


def _scale_max(table: Table, ratings: list[int]) -> int:
    numbers = [int(n) for n in re.findall(r"\b(\d{1,2})\b", table.footer or "")]
    candidates = [n for n in numbers if n <= 10]
    return max([*candidates, *ratings, 1])


def extract_rating_rows(
    doc_id: str, title: str, chunks: list[Chunk], tables: list[Table]
) -> tuple[list[RatingTable], list[RatingRow]]:
    """Rating records for every rating table of a document, linked to their row chunks."""
    out_tables: list[RatingTable] = []
    out_rows: list[RatingRow] = []
    by_table: dict[int, list[Chunk]] = {}
    for c in chunks:
        if c.kind == "table_row" and c.table_index is not None:
            by_table.setdefault(c.table_index, []).append(c)
    for index, table in enumerate(tables):
        layout = _rating_layout(table)
        if layout is None:
            continue
        proc_idx, rating_idx, comment_idx = layout
        table_id = f"{doc_id}::t{index:03d}"
        caption = table.caption or title
        parsed: list[tuple[Chunk, str, int, str]] = []
        for chunk in by_table.get(index, []):
            cells = chunk.row.cells if chunk.row else []
            if max(proc_idx, rating_idx) >= len(cells):
                continue
            m = _RATING_VALUE.match(cells[rating_idx])
            procedure = cells[proc_idx].strip()
            if not m or not procedure:
                continue
            comment = cells[comment_idx].strip() if comment_idx is not None and comment_idx < len(cells) else ""
            parsed.append((chunk, procedure, int(m.group(1)), comment))
        if not parsed:
            continue
        scale = _scale_max(table, [p[2] for p in parsed])
        out_tables.append(RatingTable(table_id=table_id, doc_id=doc_id, caption=caption))
        for chunk, procedure, rating, comment in parsed:
            out_rows.append(
                RatingRow(
                    doc_id=doc_id,
                    chunk_id=chunk.chunk_id,
                    table_id=table_id,
                    variant=caption,
                    group=chunk.row.group if chunk.row else None,
                    procedure=procedure,
                    rating=rating,
                    scale_max=scale,
                    comment=comment,
                )
            )
    return out_tables, out_rows


def classify_heading(heading: str) -> str | None:
    """Polarity a heading gives the bullets under it, or None if it is not a criteria heading."""
    if EXCLUDE_HEADING.search(heading):
        return "exclusion"
    if DOCUMENTATION_HEADING.search(heading):
        return "documentation"
    if INCLUDE_HEADING.search(heading):
        return "inclusion"
    return None


def _criteria_context(section: list[str]) -> tuple[str, str, list[str]] | None:
    """(polarity, procedure, codes) from a block's heading path, deepest criteria heading first."""
    for depth in range(len(section) - 1, -1, -1):
        polarity = classify_heading(section[depth])
        if polarity:
            below = section[depth + 1 :]
            procedure = " › ".join(below)
            text = " ".join(below)
            codes = expand_code_list(_code_ranges(text)) + find_hcpcs(text)
            return polarity, procedure, codes
    return None


def _code_ranges(text: str) -> list[str]:
    ranges = re.findall(r"\b(\d{4}[0-9FTU])\s*[-–]\s*(\d{4}[0-9FTU])\b", text)
    out = [f"{a}-{b}" for a, b in ranges]
    return out + find_cpt(text)


def _chunk_for(text: str, chunks: list[Chunk]) -> Chunk | None:
    """The first narrative chunk that holds the whole criterion (list items are never split)."""
    needle = normalize(text)
    return next((c for c in chunks if c.kind == "text" and needle in normalize(c.text)), None)


def extract_criteria(doc_id: str, blocks: list[Block], chunks: list[Chunk]) -> list[Criterion]:
    """Criterion records for list items under criteria-like headings."""
    out: list[Criterion] = []
    for block in blocks:
        if block.kind != "list_item":
            continue
        context = _criteria_context(block.section)
        if context is None:
            continue
        polarity, procedure, codes = context
        chunk = _chunk_for(block.text, chunks)
        if chunk is None:
            continue
        out.append(
            Criterion(
                doc_id=doc_id,
                chunk_id=chunk.chunk_id,
                procedure=procedure,
                codes=codes,
                section=" › ".join(block.section),
                criterion=block.text,
                polarity=polarity,
            )
        )
    return out
