"""Rating tables extracted at ingest, each row linked to the chunk that holds it.

Any table with a procedure-like column and a numeric rating column (the ACR 1-9 scale is one
example) becomes (document, population/variant, procedure, rating, comment), not tied to any
publisher. Criteria lists and graded recommendations are compiled into typed rules by
:mod:`ingest.compile` (via :mod:`ingest.statements`).
"""

from __future__ import annotations

import re

from core.records import Chunk, RatingRow, RatingTable
from ingest.parsing import Table

_PROCEDURE_HEADER = re.compile(
    r"procedure|treatment|test|exam|study|intervention|imaging|modality|service|option|therapy", re.I
)
_RATING_HEADER = re.compile(r"rating|score|appropriateness", re.I)
_COMMENT_HEADER = re.compile(r"comment|note|remark", re.I)
_RATING_VALUE = re.compile(r"^\s*(\d{1,2})\s*(?:/\s*\d{1,2})?\s*$")


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
