"""The clinical vocabulary is data with sources: every entry resolves, names a public source and is read back."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from core.lexicon import load_lexicon
from core.lexicon.normalize import normalize
from core.lexicon.reader import read

LEXICON = load_lexicon()


def test_every_source_has_a_title_and_an_address() -> None:
    for sid, source in LEXICON.sources.items():
        assert source.get("title"), sid
        # `local: true` marks this project's own ids (the corpus text, GuideQA's design choices)
        assert source.get("local") or str(source.get("url", "")).startswith("http"), sid


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


def _shipped_context_literals() -> set[str]:
    spec = importlib.util.find_spec("medspacy")
    assert spec is not None and spec.origin
    rules_file = Path(spec.origin).parents[1] / "resources" / "en" / "context_rules.json"
    if not rules_file.exists():
        pytest.skip("medspaCy's default ConText rules are not installed as resources/en/context_rules.json")
    return {r["literal"].lower() for r in json.loads(rules_file.read_text(encoding="utf-8"))["context_rules"]}


def test_context_rules_cited_to_medspacy_are_shipped_medspacy_literals() -> None:
    shipped = _shipped_context_literals()
    cited = [r for r in LEXICON.context_rules if r["src"] == "medspacy"]
    assert cited
    for rule in cited:
        assert rule["literal"].lower() in shipped, rule["literal"]


def test_context_rules_cited_to_the_corpus_occur_in_the_named_document() -> None:
    corpus = Path(__file__).resolve().parents[1] / "corpus"
    cited = [r for r in LEXICON.context_rules if r["src"] == "corpus-text"]
    assert cited
    for rule in cited:
        doc = corpus / f"{rule.get('doc')}.md"
        assert doc.is_file(), (rule["literal"], rule.get("doc"))
        text = " ".join(doc.read_text(encoding="utf-8").lower().split())
        literal = " ".join(rule["literal"].lower().split())
        assert re.search(rf"(?<!\w){re.escape(literal)}(?!\w)", text), (rule["literal"], rule.get("doc"))


def test_context_rules_cited_to_a_quoted_source_occur_in_its_quote() -> None:
    # a source with a `quote` holds the sentence of the public page where the rule's literal is used
    cited = [r for r in LEXICON.context_rules if LEXICON.sources[r["src"]].get("quote")]
    assert cited
    for rule in cited:
        quote = " ".join(str(LEXICON.sources[rule["src"]]["quote"]).lower().split())
        literal = " ".join(rule["literal"].lower().split())
        assert re.search(rf"(?<!\w){re.escape(literal)}(?!\w)", quote), (rule["literal"], rule["src"])


def test_only_corpus_text_rules_name_a_document_and_list_sources_have_an_address() -> None:
    for rule in LEXICON.context_rules:
        source = LEXICON.sources[rule["src"]]
        assert ("doc" in rule) == (rule["src"] == "corpus-text"), rule["literal"]
        if not source.get("local"):
            assert str(source.get("url", "")).startswith("http"), rule["src"]


def test_no_context_rule_was_fitted_to_one_question() -> None:
    assert "did not lose weight" not in {r["literal"] for r in LEXICON.context_rules}


def test_elided_head_nouns_are_spelled_out() -> None:
    assert "drug therapies, surgical therapies" in normalize("drug, surgical or psychological therapies")


@pytest.mark.parametrize(
    "text, negated",
    [
        ("Thigh thrust, compression and distraction are all negative.", {"thigh thrust", "compression", "distraction"}),
        ("The provocation tests are both negative.", {"provocation tests"}),
        ("The provocation tests are negative.", {"provocation tests"}),
    ],
)
def test_are_negative_reads_through_a_floating_quantifier(text: str, negated: set[str]) -> None:
    # fastcontext-rules' "are negative" with an optional "all" / "both" between copula and adjective
    assert {m.text for m in read(text).mentions if m.negated} == negated


def test_every_context_rule_names_a_source_that_exists() -> None:
    # no trigger is kept "pending a citation": a rule without a public source is removed
    for rule in LEXICON.context_rules:
        assert rule.get("src") in LEXICON.sources, rule
    assert not any("unsourced" in sid for sid in LEXICON.sources)
