"""An :class:`~assistant.schema.Answer` as CDS Hooks 2.0 cards and Da Vinci CRD coverage information.

Pure functions: the answer is already validated (every criterion and bullet cited, every quote
verbatim), so a card only re-arranges it and never adds a claim of its own.

- ``summary``: the verdict label and the asked codes (the headline when it fits in 140 characters);
  ``indicator``: ``info`` (indicated, or an information answer), ``warning`` (conditional,
  insufficient evidence), ``critical`` (not indicated).
- ``detail`` (GitHub-flavoured Markdown): the headline, the criteria to document (``unknown``), the
  criteria not met and met, each with its reference numbers, the sections' bullets (those not
  already shown as a criterion), the references (title, section, publisher, year,
  ``doc_id@revision``, status) and the disclaimer. Document text
  is escaped (``<``, ``>``, ``&``, Markdown link and emphasis characters), never rendered as HTML.
- ``links``: one per cited document with a ``source_url`` (``type: absolute``).
- ``suggestions``: for an imaging answer from a rating table, each alternative the guideline rates
  higher (the "Alternatives / next steps" bullets) as "order X instead": delete the draft order,
  create a ServiceRequest for X.
- ``extension["guideqa"]``: the verdict, criteria and ``doc_id@revision`` references exactly as in
  the Answer JSON, so a client (or a test) can check the card against ``guideqa ask``.
- ``coverage_information``: the CRD ``ext-coverage-information`` extension for the order (covered /
  not-covered / conditional, documentation needed, billing codes, the reason); GuideQA does not know
  a payer's prior-authorisation lists, so ``pa-needed`` is ``conditional`` with that said in
  ``detail``. Insufficient evidence asserts nothing (no extension).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from typing import Any

from assistant.schema import VERDICT_LABELS, Answer, CriterionStatus, Determination

CRD_COVERAGE_INFORMATION = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEM = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
ALTERNATIVES = "Alternatives / next steps"
SUMMARY_MAX = 140

INDICATORS: dict[Determination, str] = {
    Determination.indicated: "info",
    Determination.conditional: "warning",
    Determination.insufficient_evidence: "warning",
    Determination.not_indicated: "critical",
}
COVERED: dict[Determination, str] = {
    Determination.indicated: "covered",
    Determination.conditional: "conditional",
    Determination.not_indicated: "not-covered",
}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|])")
# row_claim in assistant.engines.offline: "<variant> — <procedure>: Rating <n>"
_ALTERNATIVE = re.compile(r"^(?P<variant>.+?) — (?P<procedure>.+?): Rating (?P<rating>\d+)\s*$")


def md(text: str) -> str:
    """Text from a document, safe inside Markdown: no HTML, no links or emphasis it did not mean."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _cites(numbers: Sequence[int]) -> str:
    return " " + "".join(f"[{n}]" for n in numbers) if numbers else ""


def summary(answer: Answer, codes: Sequence[str]) -> str:
    """The card's one-line summary: the headline when it fits, else the verdict and the codes."""
    headline = " ".join(answer.headline.split())
    if len(headline) < SUMMARY_MAX:
        return headline
    label = "Information" if answer.kind == "information" else VERDICT_LABELS[answer.determination]
    short = f"{label}: {', '.join(codes)}" if codes else label
    source = answer.references[0].title if answer.references else ""
    candidate = f"{short} ({source})" if source else short
    return candidate if len(candidate) < SUMMARY_MAX else candidate[: SUMMARY_MAX - 2].rstrip() + "…"


def detail(answer: Answer) -> str:
    """The card's Markdown detail (see the module docstring)."""
    lines = [f"**{md(answer.headline)}**", ""]
    groups = [
        (CriterionStatus.unknown, "Criteria to document"),
        (CriterionStatus.not_met, "Criteria not met"),
        (CriterionStatus.met, "Criteria met"),
    ]
    for status, title in groups:
        checks = [c for c in answer.criteria if c.status == status]
        if checks:
            lines.append(f"### {title}")
            lines.extend(f"- {md(c.criterion)}{_cites(c.citations)}" for c in checks)
            lines.append("")
    shown = {" ".join(c.criterion.split()) for c in answer.criteria}
    for section in answer.sections:
        bullets = [b for b in section.bullets if " ".join(b.text.split()) not in shown]  # said once, as a criterion
        if bullets:
            lines.append(f"### {md(section.title)}")
            lines.extend(f"- {md(b.text)}{_cites(b.citations)}" for b in bullets)
            lines.append("")
    if answer.references:
        lines.append("### References")
        for ref in answer.references:
            year = f" {ref.year}" if ref.year else ""
            review = f", {ref.status}" if ref.status else ""
            where = f", section {md(ref.section)}" if ref.section else ""
            lines.append(f"{ref.number}. {md(ref.title)}{where} ({md(ref.publisher)}{year}; {ref.cited_as}{review})")
        lines.append("")
    lines.append(f"_{md(answer.disclaimer)}_")
    return "\n".join(lines)


def links(answer: Answer) -> list[dict[str, Any]]:
    """One absolute link per cited document that names its public source."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for ref in answer.references:
        if not ref.source_url or ref.source_url in seen or not ref.source_url.startswith(("https://", "http://")):
            continue
        seen.add(ref.source_url)
        out.append({"label": f"[{ref.number}] {ref.title}"[:200], "url": ref.source_url, "type": "absolute"})
    return out


def alternatives(answer: Answer) -> list[tuple[str, int]]:
    """(procedure, rating) of each alternative the guideline rates higher, best first."""
    found: list[tuple[str, int]] = []
    for section in answer.sections:
        if section.title != ALTERNATIVES:
            continue
        for bullet in section.bullets:
            m = _ALTERNATIVE.match(bullet.text)
            if m:
                found.append((m.group("procedure").strip(), int(m.group("rating"))))
    return found


def suggestions(answer: Answer, order_refs: Sequence[str], patient_ref: str | None) -> list[dict[str, Any]]:
    """'Order X instead' for each higher-rated alternative: delete the draft order(s), create X."""
    out = []
    for procedure, rating in alternatives(answer):
        resource: dict[str, Any] = {
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": "order",
            "code": {"text": procedure},
        }
        if patient_ref:
            resource["subject"] = {"reference": patient_ref}
        actions: list[dict[str, Any]] = [
            {"type": "delete", "description": f"Remove the draft order {ref}", "resourceId": ref} for ref in order_refs
        ]
        actions.append({"type": "create", "description": f"Order {procedure}", "resource": resource})
        out.append(
            {
                "label": f"Order {procedure} instead (rated {rating})"[:200],
                "uuid": str(uuid.uuid4()),
                "actions": actions,
            }
        )
    return out


def answer_extension(answer: Answer) -> dict[str, Any]:
    """What the card was built from, in the Answer JSON's own terms."""
    return {
        "question": answer.understood_as or answer.question,
        "kind": answer.kind,
        "determination": answer.determination.value,
        "headline": answer.headline,
        "criteria": [
            {"criterion": c.criterion, "status": c.status.value, "citations": c.citations, "rule_id": c.rule_id}
            for c in answer.criteria
        ],
        "references": [r.cited_as for r in answer.references],
        "engine": answer.engine,
    }


def card(
    answer: Answer,
    codes: Sequence[str],
    order_refs: Sequence[str] = (),
    patient_ref: str | None = None,
) -> dict[str, Any]:
    """One CDS Hooks card for one answered group of orders."""
    indicator = "info" if answer.kind == "information" else INDICATORS[answer.determination]
    first = answer.references[0] if answer.references else None
    source: dict[str, Any] = {"label": "GuideQA" + (f": {first.publisher}" if first else "")}
    if first is not None and first.source_url:
        source["url"] = first.source_url
    out: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": summary(answer, codes),
        "indicator": indicator,
        "detail": detail(answer),
        "source": source,
    }
    found_links = links(answer)
    if found_links:
        out["links"] = found_links
    found = suggestions(answer, order_refs, patient_ref)
    if found:
        out["suggestions"] = found
        out["selectionBehavior"] = "at-most-one"
    out["extension"] = {"guideqa": answer_extension(answer)}
    return out


def coverage_information(
    answer: Answer,
    codes: Sequence[str],
    coverage_ref: str | None,
    *,
    assertion_id: str | None = None,
    today: dt.date | None = None,
) -> dict[str, Any] | None:
    """The CRD coverage-information extension for an answered order; None when nothing can be asserted."""
    if answer.kind != "necessity" or answer.determination not in COVERED:
        return None
    covered = COVERED[answer.determination]
    parts: list[dict[str, Any]] = [
        {
            "url": "coverage",
            "valueReference": {"reference": coverage_ref}
            if coverage_ref
            else {"display": "coverage not supplied in the request"},
        },
        {"url": "covered", "valueCode": covered},
    ]
    if covered != "not-covered":
        # GuideQA holds medical-necessity criteria, not a payer's prior-authorisation lists.
        parts.append({"url": "pa-needed", "valueCode": "conditional"})
        to_document = any(c.status == CriterionStatus.unknown for c in answer.criteria)
        parts.append({"url": "doc-needed", "valueCode": "clinical" if to_document else "no-doc"})
    for code in codes:
        system = HCPCS_SYSTEM if code[:1].isalpha() else CPT_SYSTEM
        parts.append({"url": "billingCode", "valueCoding": {"system": system, "code": code}})
    parts.append({"url": "reason", "valueCodeableConcept": {"text": answer.headline[:500]}})
    parts.append(
        {
            "url": "detail",
            "extension": [
                {"url": "code", "valueCodeableConcept": {"text": "guideline basis"}},
                {
                    "url": "value",
                    "valueString": "; ".join(dict.fromkeys(r.cited_as for r in answer.references)) or "no reference",
                },
                {
                    "url": "qualification",
                    "valueString": "Medical-necessity criteria from the cited documents; prior authorisation "
                    "depends on the patient's plan and is not determined by GuideQA.",
                },
            ],
        }
    )
    parts.append({"url": "date", "valueDate": (today or dt.date.today()).isoformat()})
    parts.append({"url": "coverage-assertion-id", "valueString": assertion_id or str(uuid.uuid4())})
    return {"url": CRD_COVERAGE_INFORMATION, "extension": parts}
