"""Real formats in, clear errors for bad input: PDF, DOCX, text; each defect names the file and changes nothing.

PDF and DOCX fixtures are generated here with fpdf2 and python-docx (no binaries committed).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from docx import Document
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from core.records import DocumentError, Status
from core.settings import Settings
from editorial import lifecycle
from editorial.users import User
from ingest.documents import load_document
from ingest.pipeline import ingest_paths
from store.store import Store
from tests.conftest import FIXTURE_CORPUS

EDITOR = User("erin", "editor")


def make_pdf(
    path: Path, *, title: str | None = "Lumbar MRI coverage policy", author: str | None = "Test Payer"
) -> Path:
    pdf = FPDF()
    pdf.add_page()
    if title:
        pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Lumbar MRI is covered after six weeks of failed conservative therapy.")
    pdf.ln(4)
    pdf.multi_cell(0, 6, "Red flags such as cauda equina syndrome justify immediate imaging.")
    pdf.ln(4)
    with pdf.table() as table:
        for row in (("Procedure", "Rating"), ("MRI lumbar spine without contrast", "7"), ("CT lumbar spine", "4")):
            cells = table.row()
            for value in row:
                cells.cell(value)
    pdf.output(str(path))
    return path


def make_docx(path: Path) -> Path:
    doc = Document()
    doc.core_properties.title = "Knee MRI policy"
    doc.core_properties.author = "Test Payer"
    doc.add_heading("Indications", level=1)
    doc.add_paragraph("Knee MRI is indicated for suspected meniscal tear after a failed exam.")
    table = doc.add_table(rows=2, cols=2)
    values = ["Procedure", "Rating", "MRI knee", "8"]
    for cell, value in zip(table.rows[0].cells + table.rows[1].cells, values, strict=True):
        cell.text = value
    doc.save(str(path))
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(Settings(home=tmp_path / "home", embedder="hashing", max_document_mb=1))
    ingest_paths(
        store,
        [Path(shutil.copytree(FIXTURE_CORPUS, tmp_path / "corpus"))],
        status=Status.approved,
        approved_by="test-editor",
    )
    return store


def _texts(store: Store, doc_id: str) -> list[str]:
    return [c.text for c in store.manifest.doc_chunks(doc_id)]


def test_a_pdf_gives_its_text_table_rows_and_info_metadata(store, tmp_path):
    result = lifecycle.add_document(store, EDITOR, make_pdf(tmp_path / "lumbar-mri.pdf"), {"year": "2024"})
    record = store.manifest.revision("lumbar-mri", 1)
    assert result.cited_as == "lumbar-mri@1" and record.fmt == "pdf"
    assert record.meta.title == "Lumbar MRI coverage policy" and record.meta.publisher == "Test Payer"
    assert record.meta.year == 2024
    texts = _texts(store, "lumbar-mri")
    assert any("six weeks of failed conservative therapy" in t for t in texts)
    rows = [c for c in store.manifest.doc_chunks("lumbar-mri") if c.kind == "table_row"]
    assert any("MRI lumbar spine without contrast" in c.text and "7" in c.text for c in rows)
    narrative = [c.text for c in store.manifest.doc_chunks("lumbar-mri") if c.kind == "text"]
    assert not any("CT lumbar spine" in t for t in narrative)  # table cells are not read twice as prose


def test_a_docx_gives_headings_tables_and_core_properties(store, tmp_path):
    lifecycle.add_document(store, EDITOR, make_docx(tmp_path / "knee.docx"), {"doc_id": "knee-mri"})
    record = store.manifest.revision("knee-mri", 1)
    assert record.fmt == "docx" and record.meta.title == "Knee MRI policy"
    chunks = store.manifest.doc_chunks("knee-mri")
    assert any("meniscal tear" in c.text and "Indications" in c.section for c in chunks)
    assert any(c.kind == "table_row" and "MRI knee" in c.text for c in chunks)


def test_plain_text_takes_its_metadata_from_the_editor(store, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text(
        "Screening colonoscopy every ten years from age 45.\n\nEarlier when a first-degree relative had it."
    )
    lifecycle.add_document(store, EDITOR, path, {"title": "Colorectal screening", "publisher": "Test Society"})
    assert store.manifest.revision("notes", 1).meta.title == "Colorectal screening"
    assert any("every ten years" in t for t in _texts(store, "notes"))


def _encrypted(path: Path, source: Path) -> Path:
    writer = PdfWriter(clone_from=PdfReader(str(source)))
    writer.encrypt(user_password="s3cret", owner_password="owner")
    writer.write(str(path))
    return path


BAD_INPUTS = {
    "empty": (lambda d: _write(d / "empty.md", b""), "empty.md: is empty"),
    "binary garbage": (lambda d: _write(d / "garbage.md", bytes(range(256)) * 8), "garbage.md: looks binary"),
    "binary garbage as pdf": (lambda d: _write(d / "junk.pdf", b"\x8f\x01" * 400), "junk.pdf: is not a readable PDF"),
    "corrupt pdf": (
        lambda d: _write(d / "cut.pdf", make_pdf(d / "whole.pdf").read_bytes()[:300]),
        "cut.pdf: is not a readable PDF",
    ),
    "encrypted pdf": (
        lambda d: _encrypted(d / "locked.pdf", make_pdf(d / "open.pdf")),
        "locked.pdf: is an encrypted PDF",
    ),
    "over the size limit": (
        lambda d: _write(d / "huge.txt", b"word " * 300_000),
        "huge.txt: is 1.5 MB, over the 1 MB limit",
    ),
    "not utf-8": (
        lambda d: _write(d / "latin1.txt", "Caf\xe9 r\xe9sum\xe9".encode("latin-1")),
        "latin1.txt: is not valid UTF-8",
    ),
    "missing title": (
        lambda d: _write(d / "untitled.md", b"---\ndoc_id: untitled\npublisher: X\n---\nBody text.\n"),
        "untitled.md: field 'title': required field is missing",
    ),
    "pdf without a title": (
        lambda d: make_pdf(d / "no-title.pdf", title=None),
        "no-title.pdf: field 'title': required field is missing",
    ),
    "docx that is not a zip": (
        lambda d: _write(d / "fake.docx", b"PK\x03\x04 not really"),
        "fake.docx: is not a readable DOCX",
    ),
    "unsupported type": (lambda d: _write(d / "sheet.xlsx", b"PK"), "sheet.xlsx: unsupported file type"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _state(store: Store) -> tuple:
    docs = [d.doc_id for d in store.manifest.documents()]
    return docs, store.manifest.served_revisions(), sorted(store.vectors.ids()), store.manifest.generation()


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gets_a_clear_error_naming_the_file_and_changes_nothing(store, tmp_path, case):
    make, message = BAD_INPUTS[case]
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    path = make(bad_dir)
    before = _state(store)
    with pytest.raises(DocumentError) as caught:
        lifecycle.add_document(store, EDITOR, path, {"publisher": "X"} if path.suffix != ".md" else None)
    assert message in str(caught.value)
    assert _state(store) == before


def test_a_bad_file_in_an_ingested_folder_is_reported_and_the_rest_is_indexed(store, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    make_docx(folder / "knee.docx")
    _write(folder / "junk.pdf", b"%PDF-1.7 garbage")
    report = ingest_paths(store, [folder], status=Status.approved, approved_by="test-editor")
    assert report.added == ["knee"]
    assert len(report.failed) == 1 and "junk.pdf: is not a readable PDF" in report.failed[0][1]


def test_the_size_limit_is_configurable(tmp_path):
    path = _write(tmp_path / "big.txt", b"word " * 300_000)
    with pytest.raises(DocumentError, match="over the"):
        load_document(path, max_bytes=1_000_000)
    assert load_document(path, max_bytes=50_000_000, overrides={"title": "t", "publisher": "p"}).fmt == "text"
