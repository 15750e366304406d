"""Unit tests of the pure question builder (api.cds_question) on FHIR JSON; no server, no store."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from api.cds_question import (
    Coded,
    Order,
    billing_codes,
    build_question,
    diagnosis,
    order_questions,
    patient_phrase,
    read_condition,
    read_order,
)
from tests.conftest import FIXTURES

CDS = FIXTURES / "cds"
CPT = "http://www.ama-assn.org/go/cpt"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"


def _fixture(name: str) -> dict:
    return json.loads((CDS / name).read_text(encoding="utf-8"))


def _service_requests(request: dict) -> list[dict]:
    return [
        e["resource"]
        for e in request["context"]["draftOrders"]["entry"]
        if e["resource"]["resourceType"] == "ServiceRequest"
    ]


def _conditions(request: dict) -> list[dict]:
    return [e["resource"] for e in request["prefetch"]["conditions"]["entry"]]


def test_the_seed_order_reads_as_the_seed_question():
    request = _fixture("order-select-64635-64636.json")
    orders = [read_order(r) for r in _service_requests(request)]
    assert [o.codes for o in orders] == [("64635",), ("64636",)]
    assert orders[0].ref == "ServiceRequest/rfa-64635"
    assert orders[0].reasons == (
        Coded("M47.817", "Spondylosis without myelopathy or radiculopathy, lumbosacral region"),
    )
    findings = [f for f in (read_condition(c) for c in _conditions(request)) if f is not None]
    questions = order_questions(orders, findings, request["prefetch"]["patient"])
    assert len(questions) == 1  # same reasons: the first-level and add-on codes are asked together
    assert questions[0].refs == ("ServiceRequest/rfa-64635", "ServiceRequest/rfa-64636")
    assert questions[0].question == (
        "Are procedures 64635 and 64636 medically indicated for a patient with M47.817 spondylosis without "
        "myelopathy or radiculopathy, lumbosacral region and a history of prior spinal fusion?"
    )


def test_codes_are_read_by_system_and_shape():
    concept = {
        "coding": [
            {"system": CPT, "code": "64635"},
            {"system": "urn:oid:2.16.840.1.113883.6.285", "code": "g0260"},
            {"system": "http://loinc.org", "code": "36801-9"},  # not a billing code system
            {"system": CPT, "code": "not-a-code"},
        ]
    }
    assert billing_codes(concept) == ["64635", "G0260"]
    assert billing_codes(None) == []
    assert diagnosis({"coding": [{"system": ICD, "code": "m54.50", "display": "Low back pain"}]}) == Coded(
        "M54.50", "Low back pain"
    )
    assert diagnosis(
        {"coding": [{"system": "http://snomed.info/sct", "code": "279039007"}], "text": "back pain"}
    ) == Coded("", "back pain")
    assert diagnosis({}) is None


def _condition(
    code: str, display: str, clinical: str = "active", verification: str | None = None, text: str = ""
) -> dict:
    out: dict = {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"code": clinical}]},
        "code": {"coding": [{"system": ICD, "code": code, "display": display}]},
    }
    if verification:
        out["verificationStatus"] = {"coding": [{"code": verification}]}
    if text:
        out["code"]["text"] = text
    return out


def test_conditions_become_findings_histories_or_nothing():
    active = read_condition(_condition("M54.16", "Radiculopathy, lumbar region"))
    assert active is not None and not active.history
    resolved = read_condition(_condition("M54.16", "Radiculopathy, lumbar region", clinical="resolved"))
    assert resolved is not None and resolved.history
    status_code = read_condition(_condition("Z98.1", "Arthrodesis status", text="prior L4-5 fusion"))
    assert status_code is not None and status_code.history and status_code.coded.display == "prior L4-5 fusion"
    assert read_condition(_condition("M54.16", "Radiculopathy", verification="refuted")) is None
    assert read_condition(_condition("M54.16", "Radiculopathy", clinical="entered-in-error")) is None

    order = Order("ServiceRequest/a", ("64483",), "", (Coded("M54.16", "Radiculopathy, lumbar region"),))
    question = build_question([order], [active, status_code], today=dt.date(2026, 12, 2)).question  # type: ignore[list-item]
    assert question == (
        "Is procedure 64483 medically indicated for a patient with M54.16 radiculopathy, lumbar region and "
        "a history of prior L4-5 fusion?"
    )  # the reason is not repeated by the condition with the same code


def test_orders_with_different_reasons_are_separate_questions_and_named_orders_keep_their_name():
    mri = Order(
        "ServiceRequest/mri",
        (),
        "MRI lumbar spine without contrast",
        (Coded("M54.50", "Low back pain"),),
        ("Lumbar spine",),
        ("no red flags.",),
    )
    rfa = Order("ServiceRequest/rfa", ("64635",), "", (Coded("M47.817", "Spondylosis"),))
    questions = order_questions([mri, rfa], [])
    assert [q.refs for q in questions] == [("ServiceRequest/mri",), ("ServiceRequest/rfa",)]
    assert questions[0].question == (
        "Is MRI lumbar spine without contrast medically indicated for a patient with M54.50 low back pain? "
        "Body site: Lumbar spine. Order notes: no red flags."
    )
    assert questions[0].codes == ()
    with pytest.raises(ValueError):
        build_question([])


def test_patient_phrase():
    today = dt.date(2026, 12, 2)
    assert patient_phrase({"birthDate": "1958-12-03", "gender": "male"}, today) == "a 67-year-old male patient"
    assert patient_phrase({"birthDate": "1945-01-01", "gender": "female"}, today) == "an 81-year-old female patient"
    assert patient_phrase({"birthDate": "2008-06-01"}, today) == "an 18-year-old patient"
    assert patient_phrase({"gender": "unknown"}, today) == "a patient"
    assert patient_phrase(None, today) == "a patient"
