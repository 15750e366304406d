"""CDS Hooks 2.0 services: ``order-select`` and ``order-sign`` over draft ServiceRequests.

The request's draft orders (``context.draftOrders``, a Bundle) and the patient's Conditions
(``context`` or any ``prefetch`` entry: a Condition or a Bundle of them) are validated as FHIR R4
resources with ``fhir.resources`` (its R4B models, which read R4 ServiceRequest and Condition
unchanged); a resource that does not validate is a 400 naming it. ``order-select`` answers the
orders in ``context.selections`` (the ServiceRequests among them); ``order-sign`` every draft
ServiceRequest. Orders become questions (:mod:`api.cds_question`), each question is answered by
the one :class:`~assistant.service.Assistant`, and each answer becomes a card
(:mod:`api.cards`) plus, when a verdict can be asserted, a ``systemActions`` update of each order
carrying the Da Vinci CRD coverage-information extension. Other request resources (medications,
nutrition orders) get no card: the corpus governs procedures and imaging.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.coverage import Coverage
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api import cards
from api.cds_question import Finding, Order, OrderQuestion, order_questions, read_condition, read_order
from assistant.schema import Answer

HOOKS = ("order-select", "order-sign")
SERVICES: list[dict[str, Any]] = [
    {
        "hook": "order-select",
        "id": "guideqa-order-select",
        "title": "GuideQA medical necessity and appropriateness (order-select)",
        "description": "Answers whether the selected procedure or imaging orders are indicated for the patient's "
        "diagnoses, from approved guideline and coverage documents, with the criteria to document and the "
        "cited sources; coverage as Da Vinci CRD coverage-information.",
        "prefetch": {
            "patient": "Patient/{{context.patientId}}",
            "conditions": "Condition?patient={{context.patientId}}&clinical-status=active,recurrence,relapse,resolved",
            "coverage": "Coverage?patient={{context.patientId}}&status=active",
        },
        "usageRequirements": "Send a GuideQA bearer token (Authorization: Bearer ...). Orders are FHIR R4 "
        "ServiceRequests with CPT/HCPCS codes and ICD-10-CM reason codes.",
    },
    {
        "hook": "order-sign",
        "id": "guideqa-order-sign",
        "title": "GuideQA medical necessity and appropriateness (order-sign)",
        "description": "Checks every draft procedure or imaging order before signing against approved guideline "
        "and coverage documents: verdict, criteria to document, cited sources, CRD coverage-information.",
        "prefetch": {
            "patient": "Patient/{{context.patientId}}",
            "conditions": "Condition?patient={{context.patientId}}&clinical-status=active,recurrence,relapse,resolved",
            "coverage": "Coverage?patient={{context.patientId}}&status=active",
        },
        "usageRequirements": "Send a GuideQA bearer token (Authorization: Bearer ...).",
    },
]
SERVICE_HOOKS = {s["id"]: s["hook"] for s in SERVICES}


class CdsRequestError(ValueError):
    """A request this service cannot read (wrong hook, an invalid FHIR resource): a 400 with this message."""


class FhirResource(BaseModel):
    """Any FHIR resource, as JSON; the ones this service reads are validated with ``fhir.resources``."""

    model_config = ConfigDict(extra="allow")

    resourceType: str = Field(min_length=1)


class BundleEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    resource: FhirResource | None = None


class FhirBundle(BaseModel):
    model_config = ConfigDict(extra="allow")

    resourceType: Literal["Bundle"]
    entry: list[BundleEntry] = Field(default_factory=list)


class OrderSignContext(BaseModel):
    """``order-sign`` context (hook spec): the user, the patient, the draft orders of the session."""

    model_config = ConfigDict(extra="allow")

    userId: str = Field(min_length=1)
    patientId: str = Field(min_length=1)
    encounterId: str | None = None
    draftOrders: FhirBundle


class OrderSelectContext(OrderSignContext):
    """``order-select`` context: as order-sign, plus the references of the newly selected orders."""

    selections: list[str] = Field(min_length=1)


class _CdsCall(BaseModel):
    """The body of a CDS Hooks call (spec 2.0, "Calling a CDS Service")."""

    model_config = ConfigDict(extra="allow")

    hookInstance: str = Field(min_length=1, max_length=200)
    fhirServer: str | None = Field(default=None, max_length=2000)
    fhirAuthorization: dict[str, Any] | None = None
    prefetch: dict[str, Any] | None = None


class OrderSelectRequest(_CdsCall):
    hook: Literal["order-select"]
    context: OrderSelectContext


class OrderSignRequest(_CdsCall):
    hook: Literal["order-sign"]
    context: OrderSignContext


CdsRequest = OrderSelectRequest | OrderSignRequest
REQUEST_MODELS: dict[str, type[OrderSelectRequest] | type[OrderSignRequest]] = {
    "guideqa-order-select": OrderSelectRequest,
    "guideqa-order-sign": OrderSignRequest,
}


class CdsAction(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class CdsLink(BaseModel):
    label: str
    url: str
    type: Literal["absolute", "smart"]


class CdsSuggestion(BaseModel):
    label: str
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[CdsAction] = Field(default_factory=list)


class CdsSource(BaseModel):
    model_config = ConfigDict(extra="allow")

    label: str
    url: str | None = None


class CdsCard(BaseModel):
    model_config = ConfigDict(extra="allow")

    uuid: str | None = None
    summary: str = Field(max_length=140)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: CdsSource
    suggestions: list[CdsSuggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    links: list[CdsLink] | None = None
    extension: dict[str, Any] | None = None


class CdsResponse(BaseModel):
    cards: list[CdsCard]
    systemActions: list[CdsAction] = Field(default_factory=list)


class CdsService(BaseModel):
    model_config = ConfigDict(extra="allow")

    hook: str
    id: str
    title: str | None = None
    description: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class CdsDiscovery(BaseModel):
    services: list[CdsService]


def _validated(model: Any, resource: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The resource as FHIR JSON after ``fhir.resources`` accepted it; else a CdsRequestError naming it."""
    try:
        parsed = model.model_validate(dict(resource))
    except Exception as exc:
        if isinstance(exc, ValidationError):
            reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        else:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CdsRequestError(f"{where}: not a valid FHIR R4 {resource.get('resourceType')} ({reason[:200]})") from None
    out: dict[str, Any] = parsed.model_dump(mode="json", exclude_none=True)
    return out


def _bundle_resources(value: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(value, Mapping):
        return
    if value.get("resourceType") == "Bundle":
        for entry in value.get("entry") or []:
            if isinstance(entry, Mapping) and isinstance(entry.get("resource"), Mapping):
                yield entry["resource"]
    elif "resourceType" in value:
        yield value


def read_request(
    request: CdsRequest,
) -> tuple[list[tuple[Order, dict[str, Any]]], list[Finding], dict[str, Any] | None, str | None]:
    """(orders with their validated resources, findings, the Patient, a Coverage reference) of a request."""
    context = request.context.model_dump(mode="json")
    drafts = context["draftOrders"]
    wanted = set(context["selections"]) if request.hook == "order-select" else None
    orders: list[tuple[Order, dict[str, Any]]] = []
    for i, resource in enumerate(_bundle_resources(drafts)):
        if resource.get("resourceType") != "ServiceRequest":
            continue
        ref = f"ServiceRequest/{resource.get('id', '')}"
        if wanted is not None and ref not in wanted:
            continue
        valid = _validated(ServiceRequest, resource, f"context.draftOrders.entry[{i}] ({ref})")
        orders.append((read_order(valid), valid))
    findings: list[Finding] = []
    patient: dict[str, Any] | None = None
    coverage_ref: str | None = None
    sources: list[tuple[str, Any]] = [(f"prefetch.{k}", v) for k, v in (request.prefetch or {}).items()]
    sources += [(f"context.{k}", v) for k, v in context.items() if k != "draftOrders"]
    for where, value in sources:
        for resource in _bundle_resources(value):
            kind = resource.get("resourceType")
            if kind == "Condition":
                finding = read_condition(_validated(Condition, resource, where))
                if finding is not None and finding not in findings:
                    findings.append(finding)
            elif kind == "Patient" and patient is None:
                patient = _validated(Patient, resource, where)
            elif kind == "Coverage" and coverage_ref is None:
                valid = _validated(Coverage, resource, where)
                coverage_ref = f"Coverage/{valid['id']}" if valid.get("id") else None
    return orders, findings, patient, coverage_ref


def respond(
    service_id: str,
    request: CdsRequest,
    ask: Callable[[str], Answer],
    *,
    today: dt.date | None = None,
) -> tuple[CdsResponse, list[tuple[OrderQuestion, Answer]]]:
    """Cards (and CRD system actions) for one hook call, with the questions asked and their answers."""
    hook = SERVICE_HOOKS.get(service_id)
    if hook is None:
        raise KeyError(service_id)
    if request.hook != hook:
        raise CdsRequestError(f"service '{service_id}' answers the {hook} hook, not {request.hook}")
    orders, findings, patient, coverage_ref = read_request(request)
    resources = {order.ref: resource for order, resource in orders}
    patient_id = request.context.patientId
    patient_ref = f"Patient/{patient_id}" if isinstance(patient_id, str) and patient_id else None
    questions = order_questions([o for o, _ in orders], findings, patient, today=today)
    asked: list[tuple[OrderQuestion, Answer]] = []
    out_cards: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    for question in questions:
        answer = ask(question.question)
        asked.append((question, answer))
        out_cards.append(cards.card(answer, question.codes, question.refs, patient_ref))
        assertion = str(uuid.uuid4())
        for order in question.orders:
            info = cards.coverage_information(
                answer, order.codes or question.codes, coverage_ref, assertion_id=assertion, today=today
            )
            if info is None:
                continue
            updated = copy.deepcopy(resources[order.ref])
            updated["extension"] = [*updated.get("extension", []), info]
            actions.append(
                {
                    "type": "update",
                    "description": f"Record GuideQA coverage information on {order.ref}",
                    "resource": updated,
                }
            )
    response = CdsResponse.model_validate({"cards": out_cards, "systemActions": actions})
    return response, asked
