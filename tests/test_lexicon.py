"""The clinical vocabulary is data with sources: every entry resolves, names a public source and is read back."""

from __future__ import annotations

import pytest

from core.lexicon import load_lexicon
from core.lexicon.normalize import normalize
from core.lexicon.reader import read

LEXICON = load_lexicon()


def test_every_source_has_a_title_and_an_address() -> None:
    for sid, source in LEXICON.sources.items():
        assert source.get("title"), sid
        assert str(source.get("url", "")).startswith("http"), sid


@pytest.mark.parametrize("concept", sorted(LEXICON.concepts), ids=str)
def test_each_concept_is_read_back_from_its_first_term(concept: str) -> None:
    entry = LEXICON.concepts[concept]
    assert entry.src in LEXICON.sources
    if not entry.terms:
        pytest.skip("matched by patterns only")
    reading = read(f"The record notes {entry.terms[0]}.")
    found = {m.concept for m in reading.mentions}
    # A longer term of another concept may contain this one ("medial branch" inside a block's name);
    # the concept itself, or one narrower than it, must be what the reader reports.
    assert any(LEXICON.is_a(f, concept) or LEXICON.is_a(concept, f) for f in found), (concept, found)


@pytest.mark.parametrize("abbreviation", [a for a in LEXICON.abbreviations if not a.when], ids=lambda a: a.short)
def test_each_plain_abbreviation_expands(abbreviation) -> None:
    assert abbreviation.src in LEXICON.sources
    assert abbreviation.long in normalize(f"x {abbreviation.short} y")


def test_guarded_abbreviations_expand_only_in_their_context() -> None:
    assert "physical therapy" in normalize("failed 6 wk of PT and NSAIDs")
    assert "right" in normalize("R L4-5 facet pain")
    assert normalize("Plan: r/o fracture") == "plan: r/o fracture"


def test_modifier_and_context_rules_name_their_sources() -> None:
    assert all(r["src"] in LEXICON.sources for r in LEXICON.context_rules)
    assert set(LEXICON.modifiers) >= {"sequence", "intent", "technique", "guidance", "approach", "laterality"}


def test_elided_head_nouns_are_spelled_out() -> None:
    assert "drug therapies, surgical therapies" in normalize("drug, surgical or psychological therapies")
