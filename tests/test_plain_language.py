"""The patient view: same verdict and citations as the physician answer, in plain language."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.plain_language import (
    PLAIN_VERDICT,
    GlossaryError,
    explain,
    load_glossary,
    patient_view,
    shorter_sentences,
    strip_codes,
)
from assistant.schema import Answer
from assistant.service import Assistant
from core.settings import Settings
from store.manifest import Manifest
from tests.conftest import SEED_QUESTION

PUBLIC_SOURCES = ("MedlinePlus", "NCI Dictionary", "NIAMS", "NIDDK", "NIH")


def test_every_glossary_term_names_a_public_source() -> None:
    glossary = load_glossary()
    assert len(glossary) >= 30
    for term in glossary:
        assert term.plain and len(term.plain.split()) <= 30, term.term
        assert any(s in term.source for s in PUBLIC_SOURCES), term.term
        assert "https://" in term.source, term.term
    meta = yaml.safe_load(Path("assistant/glossary.yaml").read_text())["metadata"]
    assert {s["name"].split(" ")[0] for s in meta["sources"]} >= {"MedlinePlus", "NCI"}


def test_a_glossary_entry_without_a_source_is_refused_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "glossary.yaml"
    bad.write_text("terms:\n  myelopathy:\n    plain: spinal cord damage\n")
    with pytest.raises(GlossaryError, match="'myelopathy' has no 'source'"):
        load_glossary(bad)


def test_billing_codes_are_taken_out_of_plain_text() -> None:
    assert strip_codes("Are procedures 64635 and 64636 indicated for M47.817 spondylosis?") == (
        "Are procedures indicated for spondylosis?"
    )
    assert strip_codes("Facet joint interventions (CPT 64490-64495, 64633-64636) require pain.") == (
        "Facet joint interventions require pain."
    )


def test_long_sentences_are_split_and_short_ones_kept() -> None:
    short = "Pain must last three months."
    assert shorter_sentences(short) == short
    long = (
        "Facet joint interventions require moderate to severe chronic neck or low back pain that is predominantly "
        "axial; the pain must cause a functional deficit measured on a pain or disability scale."
    )
    out = shorter_sentences(long)
    assert out.count(".") == 2
    assert out.startswith("Facet joint interventions require") and "The pain must cause" in out


def test_each_term_is_explained_once_per_page() -> None:
    glossary = load_glossary()
    seen: set[str] = set()
    first, used = explain("Lumbar spondylosis without myelopathy.", glossary, seen)
    assert "spondylosis (wear-and-tear" in first
    assert "myelopathy (pressure on or damage to the spinal cord)" in first
    again, used_again = explain("Spondylosis is common.", glossary, seen)
    assert again == "Spondylosis is common."
    assert {t.term for t in used} >= {"spondylosis", "myelopathy", "lumbar"} and not used_again


@pytest.fixture(scope="module")
def seed_answer(starter_settings: Settings) -> Answer:
    return Assistant(starter_settings).ask(SEED_QUESTION)


def test_patient_view_keeps_verdict_citations_and_still_validates(
    seed_answer: Answer, starter_settings: Settings
) -> None:
    view = patient_view(seed_answer)
    assert view.answer.audience == "patient"
    assert view.answer.determination == seed_answer.determination
    assert view.headline == PLAIN_VERDICT[seed_answer.determination]
    assert "64635" not in view.headline
    assert [r.model_dump() for r in view.answer.references] == [r.model_dump() for r in seed_answer.references]
    assert [[x.citations for x in lines] for _, lines in view.sections] == [
        [b.citations for b in s.bullets] for s in seed_answer.sections
    ]
    assert [line.citations for _, line in view.criteria] == [c.citations for c in seed_answer.criteria]
    # The cited claims are unchanged, so the answer passes the support rule against its chunks again.
    ids = [r.chunk_id for r in seed_answer.references]
    chunks = {cid: c.text for cid, c in Manifest(starter_settings.manifest_path).chunks(ids).items()}
    Answer.model_validate(view.answer.model_dump(), context={"chunks": chunks})
    plain_lines = [x.plain for _, lines in view.sections for x in lines]
    assert any("(" in p for p in plain_lines)  # at least one term explained
    assert not any("64635" in p or "M47.817" in p for p in plain_lines)
    assert view.glossary


def test_definitions_do_not_nest_parentheses_when_inserted() -> None:
    for term in load_glossary():
        assert "(" not in term.plain and ")" not in term.plain, term.term
