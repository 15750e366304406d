"""Loading documents: metadata contract, clear errors, hostile content dropped."""

from pathlib import Path

import pytest

from core.records import DocumentError, Status
from ingest.documents import discover, load_document
from ingest.parsing import parse_html, parse_markdown
from tests.conftest import FIXTURE_CORPUS, ROOT


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_markdown_front_matter_becomes_metadata():
    doc = load_document(FIXTURE_CORPUS / "fx-knee-arthroscopy-policy.md")
    assert doc.meta.doc_id == "fx-knee-arthroscopy-policy"
    assert doc.meta.version == "3"
    assert doc.meta.status == Status.approved
    assert doc.meta.codes.cpt == ["29880", "29881"]  # the range is expanded


def test_html_meta_tags_become_metadata():
    doc = load_document(FIXTURE_CORPUS / "fx-headache-imaging.html", default_status="approved")
    assert (doc.meta.doc_id, doc.meta.publisher, doc.meta.year) == (
        "fx-headache-imaging",
        "GuideQA test fixtures",
        2024,
    )
    assert doc.meta.title.startswith("Imaging for headache")


@pytest.mark.parametrize("field", ["doc_id", "title", "publisher"])
def test_a_missing_required_field_names_the_file_and_the_field(tmp_path, field):
    fields = {"doc_id": "x", "title": "T", "publisher": "P", "year": "2020"}
    del fields[field]
    text = "---\n" + "".join(f"{k}: {v}\n" for k, v in fields.items()) + "---\n# Body\ntext\n"
    path = _write(tmp_path, "broken.md", text)
    with pytest.raises(DocumentError) as err:
        load_document(path)
    assert "broken.md" in str(err.value) and f"field '{field}'" in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no front matter\n", "must start with YAML front matter"),
        ("---\ntitle: [unclosed\n---\nbody\n", "not valid YAML"),
        ("---\ndoc_id: x\n", "not closed"),
        ("---\ndoc_id: x\ntitle: T\npublisher: P\nyear: 20x0\n---\nbody\n", "field 'year'"),
        ("---\ndoc_id: x\ntitle: T\npublisher: P\nyear: 2020\nstatus: published\n---\nbody\n", "field 'status'"),
        ("---\ndoc_id: ../etc\ntitle: T\npublisher: P\nyear: 2020\n---\nbody\n", "field 'doc_id'"),
    ],
)
def test_malformed_documents_fail_with_a_clear_error(tmp_path, text, message):
    with pytest.raises(DocumentError, match=message):
        load_document(_write(tmp_path, "bad.md", text))


def test_a_missing_year_is_a_warning_not_a_failure(tmp_path):
    doc = load_document(_write(tmp_path, "n.md", "---\ndoc_id: n\ntitle: T\npublisher: P\nyear: null\n---\nbody\n"))
    assert doc.meta.year is None
    assert any("'year'" in w for w in doc.warnings())


def test_binary_and_unsupported_files_are_refused(tmp_path):
    binary = tmp_path / "x.md"
    binary.write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(DocumentError, match="binary"):
        load_document(binary)
    with pytest.raises(DocumentError, match=r"x\.pdf: is not a readable PDF"):
        load_document(_write(tmp_path, "x.pdf", "%PDF"))
    with pytest.raises(DocumentError, match=r"unsupported file type '\.xlsx'"):
        load_document(_write(tmp_path, "x.xlsx", "PK"))


def test_scripts_comments_and_hidden_text_never_reach_the_blocks():
    doc = load_document(FIXTURE_CORPUS / "fx-headache-imaging.html", default_status="approved")
    text = " ".join(b.text for b in parse_html(doc.body))
    assert "alert" not in text and "Ignore all previous instructions" not in text
    assert "SECRET HIDDEN INSTRUCTION" not in text
    assert "highly sensitive for subarachnoid hemorrhage" in text  # visible text is kept


def test_markdown_hostile_html_is_stripped():
    blocks = parse_markdown("# T\n\nVisible.<!-- hidden instruction -->\n\n<script>steal()</script>\n")
    text = " ".join(b.text for b in blocks)
    assert "Visible." in text and "hidden instruction" not in text and "steal" not in text


def test_tables_keep_header_rows_caption_and_footer():
    doc = load_document(FIXTURE_CORPUS / "fx-headache-imaging.html", default_status="approved")
    tables = [b.table for b in parse_html(doc.body) if b.table]
    assert len(tables) == 3
    assert tables[0].header == ["Radiologic Procedure", "Rating", "Comments"]
    assert tables[0].caption.startswith("Variant 1: Sudden severe thunderclap headache")
    assert tables[0].rows[0].cells[:2] == ["CT head without contrast", "9"]
    assert "Rating Scale" in tables[0].footer


def test_discover_skips_readme_and_sorts(tmp_path):
    assert all(p.name != "README.md" for p in discover([ROOT / "corpus"]))
    with pytest.raises(DocumentError, match="no such file"):
        discover([tmp_path / "missing"])
