"""Unit tests of the card builder (api.cards) on hand-made Answers (the logic only; the served cards are
tested against the real Assistant in tests/test_api_server.py)."""

from __future__ import annotations

import datetime as dt

from api import cards
from api.cds import CdsCard
from assistant.schema import Answer, Bullet, CriterionCheck, CriterionStatus, Determination, Reference, Section


def _answer(determination: Determination, *, alternatives: bool = False, headline: str | None = None) -> Answer:
    refs = [
        Reference(
            number=1,
            doc_id="acr-lbp",
            title="ACR Appropriateness Criteria: Low Back Pain",
            publisher="American College of Radiology",
            year=2021,
            version="2",
            revision=3,
            status="approved",
            source_url="https://example.org/acr-lbp",
            chunk_id="c1",
            quote="MRI lumbar spine without IV contrast: Rating 8",
        ),
        Reference(
            number=2,
            doc_id="lcd",
            title="An LCD <script>x</script>",
            publisher="CMS",
            version="1",
            revision=1,
            source_url="javascript:alert(1)",
            chunk_id="c2",
            quote="q",
        ),
    ]
    sections = [
        Section(title="Evidence", bullets=[Bullet(text="Imaging is *usually* not appropriate.", citations=[1])])
    ]
    if alternatives:
        sections.append(
            Section(
                title=cards.ALTERNATIVES,
                bullets=[
                    Bullet(
                        text="Low back pain with red flags — MRI lumbar spine without IV contrast: Rating 8",
                        citations=[1],
                    ),
                    Bullet(text="A sentence that is no rating row.", citations=[1]),
                ],
            )
        )
    return Answer(
        question="q",
        determination=determination,
        headline=headline or f"{determination.value}: MRI lumbar spine for this scenario.",
        criteria=[
            CriterionCheck(criterion="Pain for 6 weeks [see note]", status=CriterionStatus.unknown, citations=[1]),
            CriterionCheck(criterion="No red flags", status=CriterionStatus.met, citations=[1, 2]),
            CriterionCheck(criterion="Failed therapy", status=CriterionStatus.not_met),
        ],
        sections=sections,
        references=refs,
        engine="offline",
    )


def test_a_card_carries_the_verdict_criteria_and_references_of_the_answer():
    answer = _answer(Determination.conditional)
    card = cards.card(answer, ["72148"], ["ServiceRequest/mri"], "Patient/1")
    CdsCard.model_validate(card)  # the response model the API documents
    assert card["indicator"] == "warning"
    assert card["summary"] == answer.headline
    assert card["extension"]["guideqa"]["determination"] == "conditional"
    assert card["extension"]["guideqa"]["references"] == ["acr-lbp@3", "lcd@1"]
    detail = card["detail"]
    assert (
        detail.index("### Criteria to document")
        < detail.index("### Criteria not met")
        < detail.index("### Criteria met")
    )
    assert "- Pain for 6 weeks \\[see note\\] [1]" in detail  # document text escaped, citations kept
    assert "&lt;script&gt;" in detail and "<script>" not in detail
    assert "\\*usually\\*" in detail
    assert "acr-lbp@3, approved" in detail
    # only http(s) sources become links
    assert card["links"] == [
        {
            "label": "[1] ACR Appropriateness Criteria: Low Back Pain",
            "url": "https://example.org/acr-lbp",
            "type": "absolute",
        }
    ]
    assert "suggestions" not in card


def test_indicators_follow_the_verdict():
    assert cards.card(_answer(Determination.indicated), [])["indicator"] == "info"
    assert cards.card(_answer(Determination.not_indicated), [])["indicator"] == "critical"
    assert cards.card(_answer(Determination.insufficient_evidence), [])["indicator"] == "warning"


def test_a_higher_rated_alternative_is_a_suggestion_to_order_it_instead():
    card = cards.card(
        _answer(Determination.not_indicated, alternatives=True), ["72148"], ["ServiceRequest/mri"], "Patient/1"
    )
    assert card["selectionBehavior"] == "at-most-one"
    [suggestion] = card["suggestions"]
    assert suggestion["label"] == "Order MRI lumbar spine without IV contrast instead (rated 8)"
    delete, create = suggestion["actions"]
    assert delete == {
        "type": "delete",
        "description": "Remove the draft order ServiceRequest/mri",
        "resourceId": "ServiceRequest/mri",
    }
    assert create["type"] == "create"
    assert create["resource"]["code"] == {"text": "MRI lumbar spine without IV contrast"}
    assert create["resource"]["subject"] == {"reference": "Patient/1"}
    CdsCard.model_validate(card)


def test_a_long_headline_gives_a_short_summary():
    long = "Conditional: " + "criteria of a long policy title " * 10
    summary = cards.card(_answer(Determination.conditional, headline=long), ["64635", "64636"])["summary"]
    assert len(summary) < cards.SUMMARY_MAX
    assert summary.startswith("Conditional: 64635, 64636")


def _parts(info: dict) -> dict[str, list]:
    out: dict[str, list] = {}
    for part in info["extension"]:
        out.setdefault(part["url"], []).append(part)
    return out


def test_coverage_information_follows_the_crd_extension_shape():
    today = dt.date(2026, 12, 2)
    info = cards.coverage_information(
        _answer(Determination.conditional), ["64635", "G0260"], "Coverage/c1", assertion_id="a1", today=today
    )
    assert info is not None and info["url"] == cards.CRD_COVERAGE_INFORMATION
    parts = _parts(info)
    assert parts["coverage"][0]["valueReference"] == {"reference": "Coverage/c1"}
    assert parts["covered"][0]["valueCode"] == "conditional"
    assert parts["pa-needed"][0]["valueCode"] == "conditional"
    assert parts["doc-needed"][0]["valueCode"] == "clinical"  # an unknown criterion is documentation to add
    assert [p["valueCoding"] for p in parts["billingCode"]] == [
        {"system": cards.CPT_SYSTEM, "code": "64635"},
        {"system": cards.HCPCS_SYSTEM, "code": "G0260"},
    ]
    assert parts["date"][0]["valueDate"] == "2026-12-02"
    assert parts["coverage-assertion-id"][0]["valueString"] == "a1"
    # CRD invariant crd-ci-q2: not-covered carries no pa-needed
    not_covered = _parts(cards.coverage_information(_answer(Determination.not_indicated), ["64635"], None) or {})
    assert not_covered["covered"][0]["valueCode"] == "not-covered"
    assert "pa-needed" not in not_covered and "doc-needed" not in not_covered
    assert cards.coverage_information(_answer(Determination.insufficient_evidence), ["64635"], None) is None
