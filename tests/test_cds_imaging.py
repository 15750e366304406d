"""An imaging order from the spec's Radiology Appropriateness example, answered by the real Assistant over the
fixture corpus's rating table (real Chroma, real MiniLM; no HTTP: the served path is tests/test_api_server.py)."""

from __future__ import annotations

import datetime as dt
import json

from api.cds import OrderSelectRequest, respond
from assistant.service import Assistant
from core.settings import Settings
from tests.conftest import FIXTURES


def test_a_lower_rated_imaging_order_gets_a_critical_card_suggesting_the_higher_rated_study(fixture_settings: Settings):
    request = OrderSelectRequest.model_validate(
        json.loads((FIXTURES / "cds" / "order-select-skull-xray.json").read_text(encoding="utf-8"))
    )
    assistant = Assistant(fixture_settings)
    response, asked = respond("guideqa-order-select", request, assistant.ask, today=dt.date(2026, 12, 2))
    [(question, answer)] = asked
    assert question.question == (
        "Is X-ray skull medically indicated for a patient with R51.9 headache, unspecified? "
        "Order notes: sudden severe thunderclap headache, suspected subarachnoid hemorrhage."
    )
    assert answer.determination.value == "not_indicated"
    [card] = response.cards
    assert card.indicator == "critical"
    assert card.extension is not None and card.extension["guideqa"]["determination"] == "not_indicated"
    labels = [s.label for s in card.suggestions or []]
    assert labels == [
        "Order CT head without contrast instead (rated 9)",
        "Order CTA head with contrast instead (rated 7)",
    ]
    assert card.selectionBehavior == "at-most-one"
    first = (card.suggestions or [])[0]
    assert [a.type for a in first.actions] == ["delete", "create"]
    assert first.actions[0].resourceId == "ServiceRequest/example-skull-xray"
    assert first.actions[1].resource == {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "code": {"text": "CT head without contrast"},
        "subject": {"reference": "Patient/SKULL-1288992"},
    }
    # CRD: not covered, so no prior-authorisation assertion (invariant crd-ci-q2)
    [action] = response.systemActions
    [info] = [e for e in (action.resource or {})["extension"] if e["url"].endswith("ext-coverage-information")]
    parts = {p["url"]: p for p in info["extension"]}
    assert parts["covered"]["valueCode"] == "not-covered" and "pa-needed" not in parts
    assert "billingCode" not in parts  # an order named by text has no billing code to assert
