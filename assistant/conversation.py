"""Follow-up questions in a chat, resolved into the full question they imply.

A physician asks the seed question, then "what about the cervical region?" or "and if he had two
blocks with 85 % relief?". The engine answers one standalone question at a time, so the chat turns
each follow-up into that question: what the follow-up names (a region, a code, a procedure, a
patient fact) replaces its counterpart in the previous question; everything else (codes,
procedure, condition, facts) is carried forward. The rewrite is textual, so the question shown to
the physician as "understood as" reads like their own. It is deterministic; an engine that offers
``rewrite_followup(history, followup)`` (an LLM) may rewrite instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.query import parse_question
from core.codes import icd10_description

# Words that only make sense as a continuation of the previous question.
_CONTINUATION = re.compile(
    r"^\s*(?:and|but|also|so|then|instead|same|what\s+about|how\s+about|what\s+if|and\s+if|if|or|now|ok,?\s+and)\b",
    re.I,
)
_CUE = re.compile(
    r"^\s*(?:(?:ok|okay)[,\s]+)?(?:and|but|also|so|then|or|now)?\s*(?:what|how)\s+about\s+|^\s*(?:and|but|also|so|or|now)"
    r"\s+(?:what\s+)?if\s+|^\s*what\s+if\s+|^\s*if\s+|^\s*(?:and|but|also|so|or|now)\s+",
    re.I,
)
# Spinal and body regions a follow-up can switch between; longest first so "lumbosacral" wins over "lumbar".
REGIONS = (
    "cervicothoracic",
    "thoracolumbar",
    "lumbosacral",
    "sacrococcygeal",
    "occipito-atlanto-axial",
    "cervical",
    "thoracic",
    "lumbar",
    "sacral",
)
# CPT codes that name the spinal level: the same service at cervical/thoracic and at lumbar/sacral
# levels (CPT descriptors as listed in the code tables of corpus/lcd-facet-joint-interventions.md
# and corpus/lcd-epidural-steroid-injections.md). A region follow-up swaps them with the region.
CPT_UPPER_TO_LOWER = {
    "64490": "64493", "64491": "64494", "64492": "64495",  # facet joint / medial branch injection, levels 1, 2, 3+
    "64633": "64635", "64634": "64636",  # facet nerve radiofrequency ablation, first joint / each additional
    "62320": "62322", "62321": "62323",  # interlaminar epidural injection, without / with imaging
    "64479": "64483", "64480": "64484",  # transforaminal epidural injection, one level / each additional
}  # fmt: skip
CPT_LOWER_TO_UPPER = {lower: upper for upper, lower in CPT_UPPER_TO_LOWER.items()}
_UPPER_REGIONS = frozenset({"cervical", "thoracic", "cervicothoracic", "occipito-atlanto-axial"})
_LOWER_REGIONS = frozenset({"lumbar", "sacral", "lumbosacral", "sacrococcygeal"})
_REGION_RE = re.compile(r"\b(" + "|".join(re.escape(r) for r in REGIONS) + r")\b", re.I)
_REGION_ONLY = re.compile(
    r"^(?:in\s+|for\s+|at\s+)?(?:the\s+)?(?:" + "|".join(REGIONS) + r")(?:\s+(?:region|spine|level|levels|area))?$",
    re.I,
)
# Open questions ("what documentation…", "how often…") ask something other than "is it indicated".
_OTHER_KIND = re.compile(r"^\s*(?:what|how|which|when|why|who|where)\b(?!\s+(?:about|if)\b)", re.I)
_FACT_LEAD = re.compile(r"^(?:the\s+)?(?:patient|pt|he|she|they)\b", re.I)
_FILLER = frozenset(
    {
        "he",
        "she",
        "they",
        "patient",
        "pt",
        "the",
        "is",
        "was",
        "were",
        "are",
        "has",
        "had",
        "with",
        "of",
        "a",
        "an",
        "old",
    }
)
_PRONOUN_START = re.compile(r"^(?:he|she|they|the\s+patient|pt)\s+", re.I)


@dataclass
class Resolution:
    """The standalone question a chat turn asked, and how it was obtained."""

    asked: str  # what the physician typed
    question: str  # the full question the engine answers
    method: str  # "standalone" | "deterministic" | "engine"
    changes: list[str] = field(default_factory=list)  # what the follow-up changed, for display

    @property
    def rewritten(self) -> bool:
        return self.question != self.asked


def is_followup(text: str, previous: str | None) -> bool:
    """A turn is a follow-up when there is an earlier question and this one cannot stand alone.

    It cannot stand alone when it opens like a continuation ("and if", "what about"), or when it
    names neither a procedure nor a condition of its own (no codes and a short or missing context).
    """
    if not previous:
        return False
    if _CONTINUATION.match(text):
        return True
    parsed = parse_question(text)
    if _OTHER_KIND.match(text) and (parsed.cpt or parsed.hcpcs or parsed.icd10):
        return False  # "What documentation supports 64635?": a new kind of question about named codes
    has_service = bool(parsed.cpt or parsed.hcpcs or parsed.procedure)
    has_condition = bool(parsed.icd10) or len(re.findall(r"[A-Za-z]{3,}", parsed.context)) >= 3
    return not (has_service and has_condition)


def _strip_cue(text: str) -> str:
    body = _CUE.sub("", text.strip(), count=1)
    return body.strip().rstrip("?.! ").strip()


def _swap_icd_region(question: str, new_region: str, changes: list[str]) -> str:
    """Swap each ICD-10-CM code whose description names a region for its sibling naming ``new_region``."""
    for code, desc in parse_question(question).icd10:
        if not _REGION_RE.search(desc) or new_region.lower() in desc.lower():
            continue
        sibling = _sibling_for_region(code, new_region)
        if sibling:
            question = re.sub(re.escape(code), sibling, question, flags=re.I)
            changes.append(f"code {code} → {sibling} ({icd10_description(sibling)})")
    return question


def _sibling_for_region(code: str, region: str) -> str | None:
    """The code that differs from ``code`` only in its last character and names ``region``."""
    base = code.upper()
    stem_, last = base[:-1], base[-1]
    for ch in "0123456789":
        if ch == last:
            continue
        desc = icd10_description(stem_ + ch)
        if (
            desc
            and re.search(rf"\b{re.escape(region)}\b", desc, re.I)
            and _REGION_RE.findall(desc) == [m for m in _REGION_RE.findall(desc) if m.lower() == region.lower()]
        ):
            return stem_ + ch
    return None


def _swap_cpt_region(question: str, new_region: str, changes: list[str]) -> str:
    """Swap level-specific CPT codes for the same service at the new region's level."""
    region = new_region.lower()
    table = CPT_LOWER_TO_UPPER if region in _UPPER_REGIONS else CPT_UPPER_TO_LOWER if region in _LOWER_REGIONS else {}
    for code in parse_question(question).cpt:
        if code in table:
            question = re.sub(rf"\b{code}\b", table[code], question)
            changes.append(f"code {code} → {table[code]} (same service, {region} level)")
    return question


def _change_region(previous: str, region: str, changes: list[str]) -> str:
    olds = {m.lower() for m in _REGION_RE.findall(previous)} - {region.lower()}
    question = _swap_icd_region(previous, region, changes)
    question = _swap_cpt_region(question, region, changes)
    if olds:
        question = _REGION_RE.sub(lambda m: _same_case(region, m.group(0)), question)
        changes.append(f"region {', '.join(sorted(olds))} → {region}")
    elif region.lower() not in previous.lower():
        question = f"{previous.rstrip(' ?.')}, {region} region?"
        changes.append(f"region {region} added")
    return question


def _same_case(new: str, old: str) -> str:
    return new.capitalize() if old[:1].isupper() else new.lower()


def _change_codes(previous: str, followup_codes: list[str], kind: str, changes: list[str]) -> str:
    """Replace the previous question's codes of one kind by the follow-up's."""
    old = [c for c, _ in parse_question(previous).icd10] if kind == "icd10" else getattr(parse_question(previous), kind)
    if not old:
        return f"{previous.rstrip(' ?.')}, {kind.upper()} {' and '.join(followup_codes)}?"
    # The span from the first old code to the last one ("64635 and 64636") becomes the new codes.
    first = re.search(re.escape(old[0]), previous, re.I)
    last = [m for m in re.finditer(re.escape(old[-1]), previous, re.I)][-1]
    assert first is not None
    if first.start() > last.end():
        return previous
    joined = " and ".join(followup_codes)
    if kind in ("cpt", "hcpcs") and len(followup_codes) == 1 and len(old) > 1:
        lead = re.search(r"\b(procedures|codes|services)\s+$", previous[: first.start()], re.I)
        if lead:  # "procedures 64635 and 64636" -> "procedure 64633"
            previous = previous[: lead.start()] + lead.group(1)[:-1] + previous[lead.end() - 1 :]
            first = re.search(re.escape(old[0]), previous, re.I)
            last = [m for m in re.finditer(re.escape(old[-1]), previous, re.I)][-1]
            assert first is not None
    changes.append(f"{'ICD-10-CM' if kind == 'icd10' else kind.upper()} {', '.join(old)} → {', '.join(followup_codes)}")
    result = previous[: first.start()] + joined + previous[last.end() :]
    return _agree(result, joined) if kind in ("cpt", "hcpcs") else result


_PERCENT = re.compile(r"\b\d+(?:\.\d+)?\s*(?:%|percent\b)", re.I)
_AGE = re.compile(r"\b\d{1,3}\s*-?\s*(?:years?|yrs?|yo|y/o)(?:\s*-?\s*old)?\b|\b(?:age|aged)\s*\d{1,3}\b", re.I)


def _agree(question: str, subject: str) -> str:
    """ "Are procedures ..." becomes "Is ..." when a single service replaced the plural subject."""
    last = subject.split()[-1] if subject.split() else ""
    plural = (" and " in subject or (last.endswith("s") and not last.endswith("ss"))) and not re.match(
        r"^(?:an?|the)\s", subject, re.I
    )
    if not plural and re.match(r"^Are\s", question):
        return "Is " + question[4:]
    return question


_NEGATED_FACT = re.compile(
    r"^(?:with\s+)?(?:a\s+patient\s+)?(?:without|with\s+no|no|never\s+had)\s+(?:an?\s+|the\s+|any\s+)?(.+)$", re.I
)
_CLAUSES = re.compile(r",\s+and\s+|,\s+|\s+and\s+")


def _negate_fact(previous: str, fact: str, changes: list[str]) -> str | None:
    """ "without the fusion": the clause stating the fusion becomes "no prior fusion"; None if none matches."""
    m = _NEGATED_FACT.match(fact)
    if not m:
        return None
    words = {w for w in re.findall(r"[a-z]{3,}", m.group(1).lower()) if w not in _FILLER | {"prior", "history"}}
    if not words:
        return None
    body = previous.rstrip(" ?.")
    pieces = _CLAUSES.split(body)
    for piece in reversed(pieces[1:]):
        if words <= set(re.findall(r"[a-z]{3,}", piece.lower())) and not re.search(r"\b(?:no|without)\b", piece):
            clause = re.sub(r"^(?:a\s+|the\s+)?(?:history\s+of\s+)?", "", piece.strip(), flags=re.I)
            replacement = f"no {clause}"
            changes.append(f"{piece.strip()} → {replacement}")
            return previous.replace(piece.strip(), replacement, 1)
    return None


def _add_fact(previous: str, fact: str, changes: list[str]) -> str:
    """Append a patient fact; a percentage or age the previous question already states is replaced."""
    negated = _negate_fact(previous, fact, changes)
    if negated is not None:
        return negated
    question = previous
    for pattern in (_PERCENT, _AGE):
        new = pattern.search(fact)
        old = pattern.search(question)
        if new and old and len(pattern.findall(fact)) == 1 and len(pattern.findall(question)) == 1:
            question = question[: old.start()] + new.group(0) + question[old.end() :]
            changes.append(f"{old.group(0)} → {new.group(0)}")
            known = set(re.findall(r"[a-z]+", question.lower())) | _FILLER
            if not set(re.findall(r"[a-z]+", pattern.sub(" ", fact).lower())) - known:
                # "what if she is 70?", "with 90 % relief?": the replaced value was the whole fact
                return question
    fact = fact.strip(" ,;")
    if fact and len(re.findall(r"[A-Za-z0-9]+", fact)) >= 2:
        fact = _PRONOUN_START.sub("the patient ", fact) if _PRONOUN_START.match(fact) else fact
        if not _FACT_LEAD.match(fact) and not fact.lower().startswith(("with", "after", "who", "whose")):
            fact = f"with {fact}"
        question = f"{question.rstrip(' ?.')}, and {fact}?"
        changes.append(f"added: {fact}")
    return question


def _change_procedure(previous: str, procedure: str, changes: list[str]) -> str:
    prev = parse_question(previous)
    old = prev.procedure
    if prev.cpt or prev.hcpcs:
        codes = prev.cpt + prev.hcpcs
        first = previous.find(codes[0])
        last = previous.rfind(codes[-1]) + len(codes[-1])
        # "procedures 64635 and 64636" -> the new procedure, with the noun that introduced the codes.
        lead = re.search(r"(?:(?:the\s+)?(?:procedures?|codes?|cpt|services?)\s+)$", previous[:first], re.I)
        start = lead.start() if lead else first
        changes.append(f"procedure {' and '.join(codes)} → {procedure}")
        return _agree(previous[:start] + procedure + previous[last:], procedure)
    if old and old in previous:
        changes.append(f"procedure {old} → {procedure}")
        return previous.replace(old, procedure, 1)
    changes.append(f"procedure {procedure} asked instead")
    return f"Is {procedure} indicated for {prev.context or previous.rstrip('?')}?"


def resolve_deterministic(history: list[str], followup: str) -> Resolution:
    """The full question a follow-up implies, given the earlier standalone questions (oldest first)."""
    asked = " ".join(followup.split())
    previous = history[-1] if history else None
    if previous is None or not is_followup(asked, previous):
        return Resolution(asked, asked, "standalone")
    changes: list[str] = []
    body = _strip_cue(asked)
    parsed = parse_question(asked)
    question = previous
    regions = [m.lower() for m in _REGION_RE.findall(body)]
    if parsed.icd10:
        question = _change_codes(question, [c for c, _ in parsed.icd10], "icd10", changes)
        new_regions = [m.lower() for _, desc in parsed.icd10 for m in _REGION_RE.findall(desc)]
        if new_regions and {m.lower() for m in _REGION_RE.findall(question)} - set(new_regions):
            question = _REGION_RE.sub(lambda m: _same_case(new_regions[0], m.group(0)), question)
            changes.append(f"region → {new_regions[0]} (from the new code)")
    if parsed.cpt or parsed.hcpcs:
        kind = "cpt" if parsed.cpt else "hcpcs"
        question = _change_codes(question, parsed.cpt or parsed.hcpcs, kind, changes)
    if regions and not parsed.icd10:
        question = _change_region(question, regions[0], changes)
    if _REGION_ONLY.match(body) or parsed.cpt or parsed.hcpcs or parsed.icd10:
        rest = ""
    else:
        rest = _REGION_RE.sub("", body) if regions else body
        rest = re.sub(r"\b(?:the|region|spine)\b\s*$", "", rest.strip(), flags=re.I).strip(" ,")
    if rest:
        change = _add_fact if _is_fact(rest) else _change_procedure
        question = change(question, rest, changes)
    if question == previous:  # nothing recognisable changed: ask the follow-up about the same case
        question = _add_fact(previous, body, changes) if body else previous
    return Resolution(asked, question, "deterministic", changes)


def _is_fact(text: str) -> bool:
    """A patient fact ("he had two blocks with 85 % relief", "she is 70") rather than a service."""
    parsed = parse_question(text)
    if parsed.stated or parsed.age_years is not None or parsed.history:
        return True
    return bool(_FACT_LEAD.match(text) or re.match(r"^(?:with|without|no|after|who|has|had|is)\b", text, re.I))


def resolve_followup(history: list[str], followup: str, engine: Any = None) -> Resolution:
    """Use the engine's ``rewrite_followup`` when it has one and it answers; else the deterministic rules."""
    rewrite = getattr(engine, "rewrite_followup", None)
    if history and callable(rewrite):
        rewritten = rewrite(list(history), followup)
        if rewritten:
            asked = " ".join(followup.split())
            return Resolution(asked, " ".join(str(rewritten).split()), "engine")
    return resolve_deterministic(history, followup)
