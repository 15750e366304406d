"""Structured evidence parsed from fixtures: rating rows and criteria lists."""

from ingest.chunking import chunk_blocks
from ingest.documents import load_document
from ingest.evidence import classify_heading, extract_criteria, extract_rating_rows
from ingest.parsing import parse_body
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


def test_a_criteria_list_becomes_criteria_with_polarity_procedure_and_codes():
    doc, blocks, chunks = _parsed("fx-knee-arthroscopy-policy.md")
    criteria = extract_criteria(doc.meta.doc_id, blocks, chunks)
    polarities = [c.polarity for c in criteria]
    assert polarities.count("inclusion") == 3 and polarities.count("exclusion") == 2
    assert polarities.count("documentation") == 1
    inclusion = next(c for c in criteria if c.polarity == "inclusion")
    assert inclusion.procedure.startswith("Arthroscopic meniscectomy")
    assert inclusion.codes == ["29880", "29881"]
    chunk = next(c for c in chunks if c.chunk_id == inclusion.chunk_id)
    assert inclusion.criterion in chunk.text


def test_headings_are_classified_by_what_they_mean():
    assert classify_heading("Limitations / Not covered") == "exclusion"
    assert classify_heading("Indications / Criteria") == "inclusion"
    assert classify_heading("Documentation Requirements") == "documentation"
    assert classify_heading("ACR Appropriateness Criteria® low back pain") is None
    assert classify_heading("Summary of Literature Review") is None


def test_a_table_without_a_rating_column_yields_no_rating_records():
    doc, blocks, chunks = _parsed("fx-knee-arthroscopy-policy.md")
    tables = [b.table for b in blocks if b.table]
    assert extract_rating_rows(doc.meta.doc_id, doc.meta.title, chunks, tables) == ([], [])
