"""Heading-aware chunking: narrative by section with llama-index, tables one row per chunk.

Why rows: a rating table answers "is X appropriate in scenario Y" one row at a time. A chunk per
row that repeats the table's header and caption (the ACR "Variant 3: ..." line) never loses its
context, so it can be retrieved, quoted and cited on its own.
"""

from __future__ import annotations

import hashlib

from core.records import Chunk, DocumentMeta, TableRow
from ingest.parsing import Block, Table


def chunk_id_for(doc_id: str, ordinal: int, text: str) -> str:
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    return f"{doc_id}::{ordinal:05d}::{digest}"


def _section_label(meta: DocumentMeta, section: list[str]) -> list[str]:
    # The document's own H1 usually repeats its title; drop it from the breadcrumb.
    if section and section[0].strip().casefold() == meta.title.strip().casefold():
        return section[1:]
    return section


def row_text(table: Table, row: TableRow) -> str:
    """A table row rendered with its caption, header labels, group and the table footer."""
    pairs = []
    for i, cell in enumerate(row.cells):
        if not cell:
            continue
        label = table.header[i] if i < len(table.header) and table.header[i] else f"Column {i + 1}"
        pairs.append(f"{label}: {cell}")
    lines = []
    if table.caption:
        lines.append(table.caption)
    body = " | ".join(pairs)
    lines.append(f"{row.group} — {body}" if row.group else body)
    if table.footer:
        lines.append(table.footer)
    return "\n".join(lines)


def chunk_blocks(meta: DocumentMeta, blocks: list[Block], *, chunk_tokens: int, overlap: int) -> list[Chunk]:
    """Chunks in document order: narrative split within sections, one chunk per table row."""
    # Imported here: llama-index costs ~1 s to import and only ingest chunks text, never `ask`.
    from llama_index.core.node_parser import SentenceSplitter

    splitter = SentenceSplitter(chunk_size=chunk_tokens, chunk_overlap=overlap, paragraph_separator="\n\n")
    chunks: list[Chunk] = []
    pending: list[Block] = []
    table_index = -1

    def add(kind: str, section: list[str], body: str, embed_extra: str = "", **extra: object) -> None:
        crumb = " › ".join([meta.title, *_section_label(meta, section)])
        embed_text = f"{crumb}\n{embed_extra or body}"
        ordinal = len(chunks)
        chunks.append(
            Chunk(
                chunk_id=chunk_id_for(meta.doc_id, ordinal, embed_text + body),
                doc_id=meta.doc_id,
                ordinal=ordinal,
                kind=kind,
                section=_section_label(meta, section),
                text=body,
                embed_text=embed_text,
                **extra,  # type: ignore[arg-type]
            )
        )

    def flush() -> None:
        if not pending:
            return
        section = pending[0].section
        text = "\n\n".join(b.text for b in pending)
        pending.clear()
        for piece in splitter.split_text(text):
            if piece.strip():
                add("text", section, piece.strip())

    for block in blocks:
        if block.kind == "heading":
            flush()
            continue
        if block.kind == "table" and block.table is not None:
            flush()
            table_index += 1
            table = block.table
            for row in table.rows:
                if not row.cells:
                    continue
                body = row_text(table, row)
                # Embed without the footer: it is the same on every row and only blurs the vector.
                footerless = Table(table.header, table.rows, table.caption, None)
                add(
                    "table_row",
                    block.section,
                    body,
                    row_text(footerless, row),
                    table_index=table_index,
                    row=row,
                )
            continue
        if pending and pending[0].section != block.section:
            flush()
        pending.append(block)
    flush()
    return chunks
