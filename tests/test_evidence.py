"""Structured evidence parsed from fixtures: rating rows and criteria lists."""

from ingest.chunking import chunk_blocks
from ingest.compile import heading_kind
from ingest.documents import load_document
from ingest.evidence import extract_rating_rows
from ingest.parsing import parse_body
from ingest.statements import compile_document
from tests.conftest import FIXTURE_CORPUS


def _parsed(name):
    doc = load_document(FIXTURE_CORPUS / name, default_status="approved")
    blocks = parse_body(doc.body, doc.fmt)
    chunks = chunk_blocks(doc.meta, blocks, chunk_tokens=200, overlap=20)
    return doc, blocks, chunks


def test_an_html_rating_table_becomes_rating_records_linked_to_row_chunks():
    doc, blocks, chunks = _parsed("fx-headache-imaging.html")
    tables = [b.table for b in blocks if b.table]
    rating_tables, rows = extract_rating_rows(doc.meta.doc_id, doc.meta.title, chunks, tables)
    assert len(rating_tables) == 3 and len(rows) == 13
    first = rows[0]
    assert (first.procedure, first.rating, first.scale_max) == ("CT head without contrast", 9, 9)
    assert first.variant.startswith("Variant 1: Sudden severe thunderclap headache")
    assert first.comment == "First study in the emergency setting."
    row_chunk = next(c for c in chunks if c.chunk_id == first.chunk_id)
    assert row_chunk.kind == "table_row"
    assert (
        "Variant 1" in row_chunk.text and "CT head without contrast" in row_chunk.text and "Rating: 9" in row_chunk.text
    )


def test_a_markdown_rating_table_keeps_the_caption_above_it():
    doc, blocks, chunks = _parsed("fx-appendicitis-imaging.md")
    tables = [b.table for b in blocks if b.table]
    _, rows = extract_rating_rows(doc.meta.doc_id, doc.meta.title, chunks, tables)
    child_us = [r for r in rows if r.procedure == "US abdomen" and r.variant.startswith("Variant 2")]
    assert len(child_us) == 1 and child_us[0].rating == 9


def test_a_criteria_list_compiles_to_rules_with_kind_scope_codes_and_their_chunk():
    doc, blocks, chunks = _parsed("fx-knee-arthroscopy-policy.md")
    rules = compile_document(doc.meta.doc_id, doc.meta.title, blocks, chunks)
    kinds = [r.kind for r in rules]
    assert kinds.count("requirement") == 3 and kinds.count("documentation") == 1
    first = next(r for r in rules if r.kind == "requirement")
    assert first.scope.codes == ["29880", "29881"] and first.section.endswith(
        "Arthroscopic meniscectomy (CPT 29880, 29881)"
    )
    chunk = next(c for c in chunks if c.chunk_id == first.chunk_id)
    assert first.text in chunk.text
    # the limitations name no service the vocabulary types and no codes: kept as notes that never decide
    assert {r.kind for r in rules if "not covered" in r.text} == {"note"}
    care = next(r for r in rules if "conservative care" in r.text)
    assert care.condition is not None and care.condition.op == "treatment" and care.condition.months == 3


def test_headings_are_classified_by_what_they_mean():
    assert heading_kind(["Policy", "Limitations / Not covered"]) == "exclusion"
    assert heading_kind(["Policy", "Indications / Criteria"]) == "inclusion"
    assert heading_kind(["Policy", "Documentation Requirements"]) == "documentation"
    assert heading_kind(["Policy", "Major Recommendations"]) == "recommendation"
    assert heading_kind(["Policy", "Summary of Literature Review"]) is None
    assert heading_kind(["Policy", "Scope"]) is None


def test_a_table_without_a_rating_column_yields_no_rating_records():
    doc, blocks, chunks = _parsed("fx-knee-arthroscopy-policy.md")
    tables = [b.table for b in blocks if b.table]
    assert extract_rating_rows(doc.meta.doc_id, doc.meta.title, chunks, tables) == ([], [])
