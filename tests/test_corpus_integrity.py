"""Every starter-corpus statement is traceable and consistent: the checks an editor runs before approving.

The same checks (:mod:`ingest.verify`) run on hand-made bad documents first, so each one is shown
to fail when it should.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ingest.chunking import chunk_blocks
from ingest.documents import load_document
from ingest.parsing import parse_body
from ingest.statements import compile_document
from ingest.verify import contradictions, polarity, section_sources
from tests.conftest import ROOT

DOCS = sorted(p for p in (ROOT / "corpus").glob("*.md") if p.name != "README.md")
HEAD = """---
doc_id: bad-doc
title: "A bad summary"
publisher: "Nobody"
year: 2024
status: approved
sources:
  - id: S1
    title: "The only source"
    url: https://example.org/s1
    read: 2026-12-01
---
"""


def _load(path: Path):
    doc = load_document(path, default_status="approved", max_bytes=10**7)
    blocks = parse_body(doc.body, doc.fmt)
    return doc, blocks


def _rules(doc, blocks):
    chunks = chunk_blocks(doc.meta, blocks, chunk_tokens=350, overlap=40)
    return compile_document(doc.meta.doc_id, doc.meta.title, blocks, chunks)


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad-doc.md"
    path.write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    return path


# ------------------------------------------------------------------ the checks can fail
def test_a_section_without_a_source_line_or_with_an_unlisted_source_is_reported(tmp_path):
    doc, blocks = _load(
        _write(
            tmp_path,
            """
            # Bad
            ## Indications / Criteria
            - Lumbar MRI is usually appropriate for suspected cancer.
            ## Limitations
            Source: S7
            - Routine imaging of acute low back pain is usually not appropriate.
            """,
        )
    )
    problems = [str(p) for p in section_sources(doc, blocks)]
    assert any("Indications / Criteria: the section names no source" in p for p in problems)
    assert any("Limitations: names S7, not in the `sources` list" in p for p in problems)


def test_a_may_be_appropriate_statement_under_a_not_indicated_heading_is_reported(tmp_path):
    doc, blocks = _load(
        _write(
            tmp_path,
            """
            # Bad
            ## When imaging is not indicated
            Source: S1
            - Imaging may be appropriate for cervicogenic headache without a neurologic deficit.
            ## Limitations / Not covered
            Source: S1
            - Lumbar fusion is covered for spondylolisthesis with instability.
            """,
        )
    )
    problems = [str(p) for p in polarity(doc.meta.doc_id, blocks)]
    assert any("'may be appropriate' under 'When imaging is not indicated'" in p for p in problems)
    assert any("worded as an indication under 'Limitations / Not covered'" in p for p in problems)


def test_two_statements_with_the_same_scope_and_opposite_verdicts_are_reported(tmp_path):
    doc, blocks = _load(
        _write(
            tmp_path,
            """
            # Bad
            ## Recommendations
            Source: S1
            - Lumbar MRI without contrast is usually appropriate for low back pain with suspected cancer.
            - Lumbar MRI without contrast is usually not appropriate for low back pain with suspected cancer.
            - Lumbar MRI without contrast is usually not appropriate for acute low back pain without red flags.
            """,
        )
    )
    problems = contradictions(_rules(doc, blocks))
    assert len(problems) == 1 and "opposite verdicts" in problems[0].message


def test_a_statement_that_says_which_rule_wins_is_not_a_contradiction(tmp_path):
    doc, blocks = _load(
        _write(
            tmp_path,
            """
            # Bad
            ## Recommendations
            Source: S1
            - Lumbar MRI without contrast is usually appropriate for low back pain with suspected cancer.
            - Lumbar MRI without contrast is usually not appropriate for low back pain with suspected cancer,"""
            """ unless the first study was inconclusive.
            """,
        )
    )
    assert contradictions(_rules(doc, blocks)) == []


# ------------------------------------------------------------------ the starter corpus passes them
@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_every_section_of_the_starter_corpus_names_a_listed_source(path):
    doc, blocks = _load(path)
    assert [str(p) for p in section_sources(doc, blocks)] == []
    assert all(s.url and s.read for s in doc.meta.sources), "each source has its address and the date it was read"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_no_starter_statement_contradicts_its_heading(path):
    doc, blocks = _load(path)
    assert [str(p) for p in polarity(doc.meta.doc_id, blocks)] == []


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.stem)
def test_no_two_starter_statements_give_opposite_verdicts_for_one_scope(path):
    doc, blocks = _load(path)
    assert [str(p) for p in contradictions(_rules(doc, blocks))] == []
