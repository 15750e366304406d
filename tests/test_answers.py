"""End to end on real indexes (MiniLM + Chroma): the seed question, rating rows, abstention."""

from __future__ import annotations

import pytest

from assistant.schema import CriterionStatus, Determination
from assistant.service import Assistant
from assistant.support import supports
from store.store import Store
from tests.conftest import SEED_QUESTION


@pytest.fixture(scope="module")
def starter(starter_settings):
    return Assistant(starter_settings)


@pytest.fixture(scope="module")
def fixtures(fixture_settings):
    return Assistant(fixture_settings)


def _check_citations(answer, store: Store) -> None:
    """Every bullet's text is supported by the stored text of a chunk it cites."""
    refs = {r.number: r for r in answer.references}
    stored = store.manifest.chunks({r.chunk_id for r in answer.references})
    for section in answer.sections:
        for bullet in section.bullets:
            assert bullet.citations
            assert any(supports(bullet.text, stored[refs[n].chunk_id].text) for n in bullet.citations), bullet.text


def test_seed_question_is_conditional_with_the_rfa_criteria_to_document(starter):
    """The seed states no blocks, pain score or duration: the RFA criteria are what to document. The
    facet summary does not address a prior fusion (issue 13), so nothing is judged on the fusion."""
    answer = starter.ask(SEED_QUESTION)
    assert answer.determination == Determination.conditional
    refs = {r.number: r for r in answer.references}
    rfa = [c for c in answer.criteria if "radiofrequency ablation" in c.criterion.lower()]
    assert rfa, "the RFA criteria are listed"
    assert all(refs[n].doc_id == "lcd-facet-joint-interventions" for c in rfa for n in c.citations)
    blocks = next(c for c in rfa if "80%" in c.criterion)
    assert blocks.status == CriterionStatus.unknown and "medial branch block" in blocks.reason
    radic = next(c for c in answer.criteria if "radiculopathy" in c.criterion.lower())
    assert radic.status != CriterionStatus.not_met  # "without ... radiculopathy" meets half of it
    assert all(c.facts and c.rule_id for c in answer.criteria if c.status != CriterionStatus.unknown)
    assert any(s.title == "What to document" for s in answer.sections)
    assert len(answer.headline.split()) <= 30
    _check_citations(answer, starter.store)


def test_seed_answer_cites_no_epidural_steroid_document(starter):
    answer = starter.ask(SEED_QUESTION)
    assert all("epidural" not in r.doc_id for r in answer.references)
    assert answer.references and answer.disclaimer and answer.related_questions


def test_references_are_numbered_in_order_of_first_use(starter):
    answer = starter.ask(SEED_QUESTION)
    order = [n for c in answer.criteria for n in c.citations]
    order += [n for s in answer.sections for b in s.bullets for n in b.citations]
    first_use = list(dict.fromkeys(order))
    assert first_use == list(range(1, len(answer.references) + 1))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Thunderclap headache, worried about SAH. Non-con head CT?", Determination.indicated),
        ("Chronic headache, nothing new, normal neuro exam. Head CT without contrast?", Determination.not_indicated),
        ("Pregnant patient, suspected appendicitis. CT abdomen and pelvis with contrast?", Determination.conditional),
    ],
)
def test_a_rating_row_decides(fixtures, question, expected):
    answer = fixtures.ask(question)
    assert answer.determination == expected
    assert answer.references[0].doc_id in ("fx-headache-imaging", "fx-appendicitis-imaging")
    _check_citations(answer, fixtures.store)


def test_the_rating_answer_names_the_scenario_it_assumed(fixtures):
    answer = fixtures.ask("8-year-old with right lower quadrant pain, suspected appendicitis. Ultrasound?")
    assert answer.determination == Determination.indicated
    scenario = next(s for s in answer.sections if s.title == "Scenario rated")
    assert scenario.bullets[0].text.startswith("Variant 2: Child younger than 14 years")


def test_a_question_the_corpus_does_not_cover_gets_insufficient_evidence(fixtures):
    answer = fixtures.ask("Is proton beam therapy indicated for localized prostate cancer?")
    assert answer.determination == Determination.insufficient_evidence
    assert not answer.sections and not answer.references


def test_criteria_are_judged_from_typed_facts_only(fixtures):
    """The fixture policy governs 29880 by its heading's codes, though the vocabulary has no concept for
    meniscectomy: the criterion over a typed fact (failed physical therapy, 4 months >= 3) is met, the
    ones over findings it cannot type (mechanical symptoms, a meniscal tear) stay unknown, never met by
    shared words, so the answer is conditional."""
    answer = fixtures.ask(
        "Is arthroscopic meniscectomy (29880) indicated for locking of the knee, a meniscal tear confirmed by MRI "
        "and 4 months of failed physical therapy?"
    )
    assert answer.determination == Determination.conditional
    by_text = {c.criterion: c for c in answer.criteria}
    care = next(c for t, c in by_text.items() if "conservative care" in t)
    assert care.status == CriterionStatus.met and any("4 months" in f or "physical therapy" in f for f in care.facts)
    tear = next(c for t, c in by_text.items() if "meniscal tear" in t)
    assert tear.status == CriterionStatus.unknown
    assert "29880" in answer.headline
    other = fixtures.ask("Is CPT 29881 indicated for a patient with knee osteoarthritis without mechanical symptoms?")
    assert other.determination == Determination.conditional
    assert all(c.status == CriterionStatus.unknown for c in other.criteria)


def test_hostile_text_in_a_document_is_never_quoted(fixtures):
    answer = fixtures.ask("Thunderclap headache. Skull x-rays?")
    text = answer.model_dump_json()
    assert "Ignore all previous instructions" not in text and "SECRET HIDDEN" not in text
    assert answer.determination == Determination.not_indicated


def test_only_approved_documents_answer(fixture_settings, tmp_path):
    settings = fixture_settings.model_copy(update={"home": tmp_path / "copy"})
    import shutil

    shutil.copytree(fixture_settings.home, settings.home)
    store = Store(settings)
    store.set_status("fx-headache-imaging", "retired")
    answer = Assistant(settings, store=store).ask("Thunderclap headache, worried about SAH. Non-con head CT?")
    assert "fx-headache-imaging" not in answer.retrieved_doc_ids
    assert all(r.doc_id != "fx-headache-imaging" for r in answer.references)


def test_a_procedure_the_table_does_not_rate_is_not_answered_from_another_row(fixtures):
    answer = fixtures.ask("Sudden thunderclap headache, suspected subarachnoid hemorrhage. Lumbar puncture?")
    assert answer.determination == Determination.insufficient_evidence
    assert "does not rate Lumbar puncture" in answer.headline
    rated = [b.text for s in answer.sections for b in s.bullets]
    assert rated and all(t.startswith("Variant 1: Sudden severe thunderclap headache") for t in rated)
    _check_citations(answer, fixtures.store)


def test_an_angiogram_by_ct_matches_the_cta_row(fixtures):
    answer = fixtures.ask("Thunderclap headache, suspected subarachnoid hemorrhage. Angiographic CT of the head?")
    assert answer.determination == Determination.indicated
    assert answer.headline.startswith("Indicated: CTA head with contrast is rated 7 of 9")


def test_a_follow_up_is_judged_in_its_conversation(starter):
    first = (
        "A 71-year-old Medicare patient has axial low back pain for 7 months (NRS 7, Oswestry 40%) despite 3 months "
        "of physical therapy and NSAIDs, no radicular symptoms, and MRI facet arthropathy at L4-5 only. Two diagnostic "
        "medial branch blocks at L4-5 each relieved 90% of her pain. Is thermal RFA at L4-5 (64635) covered?"
    )
    base = starter.ask(first)
    follow = starter.ask("What if only one block was done?", history=[first])
    assert follow.understood_as and follow.understood_as != "What if only one block was done?"
    blocks = next(
        c for c in follow.criteria if "two medically necessary diagnostic" in c.criterion or "80%" in c.criterion
    )
    assert blocks.status == CriterionStatus.not_met and blocks.facts
    assert follow.determination == Determination.not_indicated != base.determination


def test_an_information_question_gets_the_documentation_list_and_no_verdict_badge(starter):
    answer = starter.ask("What documentation supports facet radiofrequency ablation (64635)?")
    assert answer.kind == "information"
    documentation = next(s for s in answer.sections if s.title == "Documentation")
    assert documentation.bullets and all(b.citations for b in documentation.bullets)
    # One governing document answers (with no payer named, the best-ranked one that compiles facet RFA rules).
    cited = {r.doc_id for r in answer.references}
    assert len(cited) == 1
    assert cited <= {"lcd-facet-joint-interventions", "tricare-radiofrequency-facet-denervation"}
