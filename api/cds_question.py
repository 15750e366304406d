"""Turn a CDS Hooks order context (draft FHIR R4 ServiceRequests, Conditions, the Patient) into questions.

Pure functions over FHIR JSON that :mod:`api.cds` has already validated with ``fhir.resources``:
no I/O, no model, no store. The question is worded as a physician would type it into ``guideqa
ask`` ("Are procedures 64635 and 64636 medically indicated for a patient with M47.817 spondylosis
..., and a history of prior spinal fusion?"), so the card answers exactly what the CLI answers on
the same facts.

- **Orders**: the service's CPT / HCPCS codes come from ``ServiceRequest.code.coding`` whose system is
  CPT or HCPCS (any spelling listed in :data:`CPT_SYSTEMS` / :data:`HCPCS_SYSTEMS`); an order with none
  is named by ``code.text`` (else a coding's display). Body site, notes (``note.text``) and the
  order's reasons (``reasonCode``: ICD-10-CM codings with their display, else the text) are added.
- **Grouping**: orders with the same reasons and body site are one question ("procedures 64635 and
  64636"): the first-level and add-on codes of one procedure are asked together, as the policies
  govern them; orders with different reasons are separate questions (separate cards).
- **Conditions** (context or prefetch): active, recurring or relapsed ones are findings; resolved,
  inactive or remission ones, and ICD-10-CM *status* codes (Z98.1 "Arthrodesis status"), are
  "a history of ..."; refuted or entered-in-error ones, and those whose verification status is
  refuted, are left out. A condition already given as a reason is not repeated.
- **Patient**: age (from ``birthDate``, on the date given) and sex, when the prefetch holds them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CPT_SYSTEMS = frozenset(
    {"http://www.ama-assn.org/go/cpt", "urn:oid:2.16.840.1.113883.6.12", "http://ama-assn.org/go/cpt", "cpt"}
)
HCPCS_SYSTEMS = frozenset(
    {
        "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "urn:oid:2.16.840.1.113883.6.285",
        "https://bluebutton.cms.gov/resources/codesystem/hcpcs",
        "hcpcs",
    }
)
ICD10_SYSTEMS = frozenset(
    {
        "http://hl7.org/fhir/sid/icd-10-cm",
        "http://hl7.org/fhir/sid/icd-10",
        "urn:oid:2.16.840.1.113883.6.90",
        "urn:oid:2.16.840.1.113883.6.3",
    }
)
_CPT = re.compile(r"^\d{4}[0-9FTU]$")
_HCPCS = re.compile(r"^[A-V]\d{4}$")
_ICD10 = re.compile(r"^[A-TV-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?$")
_HISTORY_STATUSES = frozenset({"inactive", "resolved", "remission"})
_LEFT_OUT_STATUSES = frozenset({"refuted", "entered-in-error"})
# ICD-10-CM codes that record a status or history rather than a current disease (Z86-Z87 personal
# history, Z92 history of treatment, Z95-Z99 presence of devices / status after procedures).
_STATUS_CODE = re.compile(r"^Z(?:8[6-7]|9[2-9])")


@dataclass(frozen=True)
class Coded:
    """A code with its display, or a text alone (``code`` empty)."""

    code: str
    display: str = ""

    def phrase(self) -> str:
        display = _lower_first(self.display.strip().rstrip("."))
        return f"{self.code} {display}".strip() if self.code else display


@dataclass(frozen=True)
class Order:
    """One draft ServiceRequest, reduced to what a question needs."""

    ref: str  # "ServiceRequest/<id>"
    codes: tuple[str, ...]  # CPT / HCPCS codes of the service
    name: str  # code.text, else a display: used when there is no billing code
    reasons: tuple[Coded, ...] = ()
    body_sites: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderQuestion:
    """One question: the orders it covers (their refs, in order) and the text asked."""

    orders: tuple[Order, ...]
    question: str
    codes: tuple[str, ...] = field(default=())

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(o.ref for o in self.orders)


def _lower_first(text: str) -> str:
    # "Spondylosis without ..." -> "spondylosis without ...", but an acronym ("MRI", "CT") stays.
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _codings(concept: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not concept:
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, Mapping)]


def billing_codes(concept: Mapping[str, Any] | None) -> list[str]:
    """CPT / HCPCS codes of a CodeableConcept (by system; a code must also look like one)."""
    found: list[str] = []
    for coding in _codings(concept):
        system = str(coding.get("system") or "")
        code = str(coding.get("code") or "").strip().upper()
        if (system in CPT_SYSTEMS and _CPT.match(code)) or (system in HCPCS_SYSTEMS and _HCPCS.match(code)):
            found.append(code)
    return list(dict.fromkeys(found))


def diagnosis(concept: Mapping[str, Any] | None) -> Coded | None:
    """The ICD-10-CM code of a CodeableConcept with its display, else its text; None when it has neither."""
    if not concept:
        return None
    for coding in _codings(concept):
        code = str(coding.get("code") or "").strip().upper()
        if str(coding.get("system") or "") in ICD10_SYSTEMS and _ICD10.match(code):
            return Coded(code, str(coding.get("display") or concept.get("text") or ""))
    text = str(concept.get("text") or "").strip()
    if not text:
        text = next((str(c.get("display")) for c in _codings(concept) if c.get("display")), "")
    return Coded("", text) if text else None


def _concept_text(concept: Mapping[str, Any] | None) -> str:
    if not concept:
        return ""
    text = str(concept.get("text") or "").strip()
    return text or next((str(c["display"]).strip() for c in _codings(concept) if c.get("display")), "")


def read_order(resource: Mapping[str, Any]) -> Order:
    """A validated ServiceRequest (FHIR R4 JSON) as an :class:`Order`."""
    code = resource.get("code")
    reasons = [d for d in (diagnosis(c) for c in resource.get("reasonCode") or []) if d is not None]
    sites = [t for t in (_concept_text(c) for c in resource.get("bodySite") or []) if t]
    notes = [str(n.get("text")).strip() for n in resource.get("note") or [] if n.get("text")]
    return Order(
        ref=f"ServiceRequest/{resource.get('id', '')}",
        codes=tuple(billing_codes(code)),
        name=_concept_text(code),
        reasons=tuple(dict.fromkeys(reasons)),
        body_sites=tuple(dict.fromkeys(sites)),
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class Finding:
    """A condition of the patient as the question says it: a finding, or a history of one."""

    coded: Coded
    history: bool


def _status_code(resource: Mapping[str, Any], key: str) -> str:
    return next((str(c.get("code")) for c in _codings(resource.get(key)) if c.get("code")), "")


def read_condition(resource: Mapping[str, Any]) -> Finding | None:
    """A validated Condition as a finding; None when it is refuted, entered in error, or says nothing."""
    clinical = _status_code(resource, "clinicalStatus")
    verification = _status_code(resource, "verificationStatus")
    if verification in _LEFT_OUT_STATUSES or clinical in _LEFT_OUT_STATUSES:
        return None
    coded = diagnosis(resource.get("code"))
    if coded is None:
        return None
    history = clinical in _HISTORY_STATUSES or bool(coded.code and _STATUS_CODE.match(coded.code))
    text = str((resource.get("code") or {}).get("text") or "").strip()
    if history and text:
        # a status code's display ("Arthrodesis status") reads badly after "a history of": the text is the fact
        coded = Coded(coded.code, text)
    return Finding(coded, history)


def patient_phrase(patient: Mapping[str, Any] | None, today: dt.date) -> str:
    """'a 67-year-old male patient', 'a female patient' or 'a patient'."""
    if not patient:
        return "a patient"
    words: list[str] = []
    birth = str(patient.get("birthDate") or "")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", birth):
        born = dt.date.fromisoformat(birth)
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if 0 <= age < 130:
            words.append(f"{age}-year-old")
    gender = str(patient.get("gender") or "")
    if gender in ("male", "female"):
        words.append(gender)
    if not words:
        return "a patient"
    article = "an" if words[0][0] in "aeiou8" or words[0].startswith(("11-", "18-")) else "a"
    return f"{article} {' '.join(words)} patient"


def _join(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def group_orders(orders: Iterable[Order]) -> list[list[Order]]:
    """Orders with the same reasons and body sites, in first-seen order."""
    groups: dict[tuple[tuple[Coded, ...], tuple[str, ...]], list[Order]] = {}
    for order in orders:
        groups.setdefault((order.reasons, order.body_sites), []).append(order)
    return list(groups.values())


def build_question(
    orders: Sequence[Order],
    findings: Sequence[Finding] = (),
    patient: Mapping[str, Any] | None = None,
    *,
    today: dt.date | None = None,
) -> OrderQuestion:
    """The question one group of orders asks (see the module docstring for the wording)."""
    if not orders:
        raise ValueError("build_question needs at least one order")
    codes = list(dict.fromkeys(c for o in orders for c in o.codes))
    if codes:
        service = f"procedure {codes[0]}" if len(codes) == 1 else f"procedures {_join(codes)}"
        verb = "Is" if len(codes) == 1 else "Are"
    else:
        names = list(dict.fromkeys(o.name for o in orders if o.name)) or ["the ordered service"]
        service = _join(names)
        verb = "Is" if len(names) == 1 else "Are"
    reasons = list(dict.fromkeys(r for o in orders for r in o.reasons))
    reason_codes = {r.code for r in reasons if r.code}
    current = [r.phrase() for r in reasons]
    history: list[str] = []
    for finding in findings:
        if finding.coded.code and finding.coded.code in reason_codes:
            continue
        phrase = (
            finding.coded.phrase() if not finding.history else _lower_first(finding.coded.display or finding.coded.code)
        )
        target = history if finding.history else current
        if phrase and phrase not in target:
            target.append(phrase)
    clauses = [*current, *(f"a history of {h}" for h in history)]
    who = patient_phrase(patient, today or dt.date.today())
    question = f"{verb} {service} medically indicated for {who}"
    if clauses:
        question += " with " + _join(clauses)
    question += "?"
    sites = list(dict.fromkeys(s for o in orders for s in o.body_sites))
    if sites:
        question += f" Body site: {_join(sites)}."
    notes = [n.rstrip(".") for o in orders for n in o.notes]
    if notes:
        question += " Order notes: " + "; ".join(notes) + "."
    return OrderQuestion(tuple(orders), question, tuple(codes))


def order_questions(
    orders: Sequence[Order],
    findings: Sequence[Finding] = (),
    patient: Mapping[str, Any] | None = None,
    *,
    today: dt.date | None = None,
) -> list[OrderQuestion]:
    """One question per group of orders (:func:`group_orders`)."""
    return [build_question(group, findings, patient, today=today) for group in group_orders(orders)]
