"""The starter corpus: loadable, traceable to a public source, laid out for criteria extraction."""

from __future__ import annotations

import re

import pytest

from core.codes import icd10_description
from core.records import Status
from ingest.documents import discover, load_document
from ingest.parsing import parse_markdown
from tests.conftest import ROOT

DOCS = discover([ROOT / "corpus"])


def test_the_corpus_has_at_least_twelve_documents():
    assert len(DOCS) >= 12


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_each_document_names_its_public_source_and_says_to_verify(path):
    doc = load_document(path)
    assert doc.meta.doc_id == path.stem
    assert doc.meta.status == Status.approved
    assert doc.meta.source_url and re.match(r"https?://", doc.meta.source_url)
    assert re.search(r"summary.*verify.*source", " ".join(doc.body.split()[:60]), re.I | re.S)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_each_document_has_criteria_sections(path):
    """Every summary has an indications or criteria section; a limitations section only where its
    source lists limitations (the ACR cervical criteria rate nothing as not indicated)."""
    headings = [b.text for b in parse_markdown(load_document(path).body) if b.kind == "heading"]
    assert any(re.search(r"indicat|criteria", h, re.I) for h in headings)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_icd10_descriptions_are_the_official_ones(path):
    """ICD-10-CM rows of each Codes table match simple-icd-10-cm word for word."""
    for line in path.read_text().splitlines():
        m = re.match(r"^\|\s*([A-TV-Z]\d[0-9AB](?:\.[0-9A-Z]{1,4})?)\s*\|\s*(.+?)\s*\|$", line)
        if m:
            assert icd10_description(m.group(1)) == m.group(2), line


def test_the_required_topics_are_covered():
    text = " ".join(p.read_text().lower() for p in DOCS)
    for topic in (
        "medial branch",
        "radiofrequency",
        "epidural steroid",
        "spinal cord stimulat",
        "sacroiliac",
        "vertebral augmentation",
        "fusion",
        "low back pain",
        "bariatric",
    ):
        assert topic in text, topic
