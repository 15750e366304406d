"""Compile a guideline's statements into typed rules (:class:`core.rules.CompiledRule`) at ingest.

Each list item under a criteria, limitations, frequency, documentation or recommendation heading
is read with the same clinical vocabulary as questions (:func:`core.lexicon.reader.read`) and
turned into:
- a kind, from the heading and the sentence's own wording ("requires", "is not covered",
  "limited to 4 sessions", "usually appropriate", "strong recommendation");
- a scope: the service the sentence (or its sub-heading, or the sub-heading's codes) names, with
  the modifiers that narrow it (initial / repeat, diagnostic / therapeutic, thermal / pulsed,
  trial / permanent, spinal region), and a trigger for rules that apply only to some patients
  ("a hospitalized patient ...", "in a patient with diabetes ...");
- a condition built from typed atoms: findings present or absent (with the policy's own "such
  as" examples), treatments tried or failed for at least N months, measured thresholds (BMI,
  pain score, HbA1c, duration), prior procedures (count, relief each, relief duration, how long
  ago, at the treated level), counts, levels per session, sessions per period, modifiers of the
  asked service (guidance, contrast, technique), and references to another group of criteria.
Atoms joined by "or" form an any-of group; everything else is all-of. A sentence from which no
atom can be read keeps no condition and is always judged unknown. Nothing here knows a publisher.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache

from core.lexicon import Lexicon, load_lexicon
from core.lexicon.grades import strength_of
from core.lexicon.normalize import normalize
from core.lexicon.quantities import COMPARATORS, Quantity
from core.lexicon.reader import Mention, Reading, read
from core.rules import Cmp, CompiledRule, Cond, RuleKind, Scope, Strength

NOT_COVERED = re.compile(
    r"\b(?:is|are|be)\s+not\s+(?:considered\s+)?(?:a\s+)?(?:covered|reasonable|medically necessary|necessary|indicated|"
    r"payable|recommended|appropriate|routinely necessary|covered benefit)|\bnot\s+(?:a\s+)?covered\b|"
    r"\bdoes\s+not\s+cover\b|"
    r"\bdo\s+not\s+cover\b|\bunproven\b|\binvestigational\b|\bexperimental\b|\bshould\s+not\s+be\b|"
    r"\bnot\s+medically\s+necessary\b|"
    r"\bcontraindicat\w*|\bshould\s+avoid\b|\bavoid\b|\bis not\s+(?:a\s+)?(?:first|second)|\bdoes not satisfy\b|"
    r"\bnot\s+reasonable and necessary\b"
)
REQUIRES = re.compile(
    r"\b(?:requires?|required|must(?:\s+be)?|needs?\s+to|qualif\w+(?:\s+for\s+[a-z -]+?)?(?:\s+only)?\s+when|"
    r"is\s+covered\s+only|"
    r"are\s+covered\s+only|covers?\s+[a-z -]+?only\s+when|is\s+(?:also\s+)?covered\s+(?:only\s+)?(?:for|when|as)|"
    r"are\s+(?:also\s+)?covered\s+(?:for|when)|is\s+considered\s+medically\s+necessary\s+only|is\s+covered|are\s+covered|"
    r"may\s+treat|is\s+limited\s+to|are\s+limited\s+to|only\s+when|only\s+if|only\s+as|"
    r"should\s+be\s+given\s+(?:together\s+)?with|"
    r"given\s+together\s+with)\b"
)
FREQUENCY = re.compile(
    r"\b(?:limited\s+to|no\s+more\s+than|a\s+maximum\s+of|at\s+most)\s+(\d+)\s+(?:[a-z-]+\s+){0,5}?sessions?\b"
)
PERIOD = re.compile(
    r"\b(?:per|in\s+a|within\s+a|each)\s+(?:rolling\s+)?(\d+)\s+months?\b|\bper\s+(?:rolling\s+)?(year|12 months)\b"
)
LEVELS = re.compile(
    r"\b(?:limited\s+to|only|no\s+more\s+than|at\s+most|treat\s+only|treat\s+no\s+more\s+than)"
    r"\s+(\d)(?:\s+or\s+(\d))?\s+levels?\b"
)
GRADE = re.compile(
    r"\((?:strong|weak|conditional)\s+recommendation[^)]*\)|\((?:[a-z]+-quality)\s+evidence\)|\bgrade\s+[1-2][a-c]?\b|"
    r"\bgrade\s+[a-di]\b|\busually (?:not )?appropriate\b|\bmay be appropriate\b",
    re.I,
)
DEFINITION = re.compile(
    r"\b(?:counts?\s+as|means|is\s+defined\s+as|are\s+defined\s+as|may\s+include|includes?|"
    r"are\s+the\s+(?:nationally\s+)?covered)\b|^the\s+[a-z -]+\s+are\b"
)
UNLESS = re.compile(r"[,;]?\s*\b(?:unless|except(?:\s+for)?|apart from|other than when)\b")
SUCH_AS = re.compile(r"\b(?:such\s+as|for\s+example|e\.g\.|including|like)\b")
_CONDITION_START = re.compile(r"\b(?:for|with|without|when|in|if|at|after|before|on|during|performed|of)\b")
_TRIGGER_SUBJECT = re.compile(
    r"\b(?:in\s+a\s+patient\s+(?:with|who)|for\s+a\s+patient\s+(?:with|who)|a\s+patient\s+who|who)\b"
)
_SCOPE_AXES = ("sequence", "intent", "technique", "phase", "approach")
_CONDITION_AXES = ("guidance", "contrast", "technique")
_SKIP_SECTIONS = re.compile(r"\b(?:scope|background|overview|summary|codes?|references?|sources?|about)\b", re.I)
_GENERAL_GROUP = re.compile(r"\b(?:all|general|every)\b", re.I)
_RECOMMEND_HEADING = re.compile(r"recommend|when imaging|appropriate|rating|guidance statement|statement", re.I)
_FREQUENCY_HEADING = re.compile(r"frequency|repeat procedures|how often", re.I)
_DOC_HEADING = re.compile(r"documentation", re.I)
_EXCLUDE_HEADING = re.compile(
    r"limitation|not covered|non-?covered|exclusion|contraindicat|not (?:be )?(?:considered )?(?:medically )?"
    r"(?:necessary|indicated|reasonable|recommended)|not indicated|investigational",
    re.I,
)
_INCLUDE_HEADING = re.compile(
    r"indication|criteria|coverage|covered|medically necessary|requirements?|eligib|patient selection|required|"
    r"waive|urgent",
    re.I,
)
_NEGATED_MOD = re.compile(r"\b(?:without|no|not)\s+(?:[a-z-]+\s+){0,3}$")
_REFERS_GENERAL = re.compile(
    r"\b(?:all|each|every)\s+of\s+the\s+(?:general\s+)?criteria\s+above\b|\bthe\s+general\s+criteria\b"
)
_PRIOR_REF = re.compile(
    r"\b(?:the\s+)?(?:prior|previous|most\s+recent|first|last|earlier)\s+(?:[a-z-]+\s+){0,2}?(injection|procedure|ablation|block|"
    r"denervation|rf\s+treatment|one|1|session)\b|\bthe\s+first\s+(?:one|1)\b"
)


@dataclass
class DocContext:
    """What one document's rules share: its groups (sub-headings) and named definitions."""

    doc_id: str
    title: str
    groups: dict[str, list[str]] = field(default_factory=dict)  # group label -> rule ids
    named: dict[str, list[str]] = field(default_factory=dict)  # "supporting findings" -> concept ids
    services: list[str] = field(default_factory=list)  # every service the document's sub-headings name
    codes: set[str] = field(default_factory=set)  # every billing code the document's sub-headings name


def heading_kind(section: list[str]) -> str | None:
    """What the headings above a statement make it: exclusion, documentation, frequency, recommendation, inclusion."""
    for depth in range(len(section) - 1, -1, -1):
        heading = section[depth]
        if _SKIP_SECTIONS.search(heading) and not _INCLUDE_HEADING.search(heading):
            return None
        if _DOC_HEADING.search(heading):
            return "documentation"
        if _FREQUENCY_HEADING.search(heading):
            return "frequency"
        if _EXCLUDE_HEADING.search(heading):
            return "exclusion"
        if _RECOMMEND_HEADING.search(heading):
            return "recommendation"
        if _INCLUDE_HEADING.search(heading):
            return "inclusion"
    return None


def _cmp_before(text: str, start: int) -> Cmp | None:
    tail = text[max(0, start - 45) : start]
    for pattern, op in COMPARATORS:
        if re.search(rf"(?:{pattern})\s*(?:a\s+|an\s+)?$", tail):
            return op  # type: ignore[return-value]
    return None


def _cmp_of(q: Quantity, text: str) -> Cmp | None:
    if q.op:
        return q.op  # type: ignore[return-value]
    cmp = _cmp_before(text, q.start)
    if cmp:
        return cmp
    after = text[q.end : q.end + 30]
    m = re.match(r"\s*(?:or\s+(more|greater|higher|longer|above|less|fewer|lower|shorter|below))\b", after)
    if m:
        return "ge" if m.group(1) in ("more", "greater", "higher", "longer", "above") else "le"
    return None


def _negate_cmp(cmp: Cmp) -> Cmp:
    return {"ge": "lt", "gt": "le", "le": "gt", "lt": "ge"}[cmp]  # type: ignore[return-value]


# Headings repeat over every statement under them: each is read once (a reading is never changed here).
_read_heading = lru_cache(maxsize=4096)(read)


class _Compiler:
    def __init__(self, lexicon: Lexicon, ctx: DocContext):
        self.lexicon = lexicon
        self.ctx = ctx
        self.prior_zones: list[tuple[int, int]] = []  # spans a prior procedure's own words cover
        self.exception: Cond | None = None  # what an "unless ..." clause of the last condition compiled to

    # ------------------------------------------------------------------ scope
    def _services(self, reading: Reading, start: int, end: int) -> list[Mention]:
        return [m for m in reading.mentions if m.kind == "service" and start <= m.start < end]

    def _resolve(self, m: Mention, reading: Reading, fallback: list[str]) -> list[str]:
        concept = self.lexicon.concepts[m.concept]
        if not concept.generic:
            return [m.concept]
        window = reading.text[max(0, m.start - 50) : m.end + 60]
        targets = [
            t.value for t in reading.markers if t.axis == "target" and max(0, m.start - 50) <= t.start < m.end + 60
        ]
        named = [concept.targets[t] for t in targets if t in concept.targets]
        if named:
            return named[:1]
        del window
        for pool in (fallback, self.ctx.services):
            if not pool:
                continue
            narrow = [s for s in pool if any(self.lexicon.is_a(s, t) for t in concept.targets.values())]
            fits = narrow or [s for s in pool if any(self.lexicon.is_a(t, s) for t in concept.targets.values())]
            if not concept.targets:
                return list(pool)
            if fits:
                return fits
        if not concept.targets:
            return list(fallback)
        targets = list(dict.fromkeys(concept.targets.values()))
        if self.ctx.codes and not any(self._billed(t) & self.ctx.codes for t in targets):
            # A generic word ("nerve ablation") in a document whose headings name only codes that none of
            # its readings bills (CPT 64999): it is about something the vocabulary does not type.
            return []
        return targets

    def _billed(self, service: str) -> set[str]:
        """The billing codes of a service and of every narrower one, by the vocabulary."""
        return {c for d in (service, *self.lexicon.descendants(service)) for c in self.lexicon.concepts[d].codes}

    def heading_scope(self, section: list[str], codes: list[str]) -> tuple[list[str], dict[str, list[str]]]:
        services: list[str] = []
        mods: dict[str, list[str]] = {}
        for heading in section[1:]:
            reading = _read_heading(heading)
            named = self._services(reading, 0, len(reading.text))
            for m in named:
                services = [s for s in services if not self.lexicon.is_a(m.concept, s)] + self._resolve(
                    m, reading, services
                )
            if not named and not re.search(r"\(cpt", heading, re.I):
                continue  # "Frequency / Repeat procedures" names a kind of statement, not a service's modifiers
            for k in reading.markers:
                if k.axis in _SCOPE_AXES or k.axis == "region":
                    mods.setdefault(k.axis, [])
                    if k.value not in mods[k.axis]:
                        mods[k.axis].append(k.value)
        for code in codes:
            for s in self.lexicon.services_for_code(code)[:1]:
                if not any(self.lexicon.is_a(x, s) or self.lexicon.is_a(s, x) for x in services):
                    services.append(s)
        return list(dict.fromkeys(services)), mods

    # ------------------------------------------------------------------ atoms
    def _finding_atoms(self, reading: Reading, start: int, end: int, skip: set[int]) -> list[tuple[int, Cond]]:
        out: list[tuple[int, Cond]] = []
        mentions = [
            m
            for m in reading.mentions
            if start <= m.start < end
            and m.kind in ("finding", "test", "population", "scale")
            and m.start not in skip
            and m.concept != "pain"  # "pain" alone ("relief of the index pain") is what others measure, not a criterion
        ]
        i = 0
        while i < len(mentions):
            m = mentions[i]
            want = "absent" if m.negated else "present"
            cond = Cond(op="finding", concepts=[m.concept], want=want, text=m.text)
            after = reading.text[m.end : m.end + 14]
            if SUCH_AS.match(after.lstrip(" ,")) or re.match(r"^\s*,?\s*(?:such as|for example|including)\b", after):
                # "no non-facet pathology, such as fracture, tumor, infection or significant deformity"
                j = i + 1
                examples: list[str] = []
                while (
                    j < len(mentions)
                    and mentions[j].start - mentions[j - 1].end < 40
                    and not re.search(
                        r"[;.]|\band of\b|\bthat\b", reading.text[mentions[j - 1].end : mentions[j].start]
                    )
                ):
                    examples.append(mentions[j].concept)
                    j += 1
                cond = Cond(
                    op="finding",
                    concepts=[m.concept],
                    examples=examples,
                    want=want,
                    text=reading.text[m.start : mentions[j - 1].end],
                )
                out.append((m.start, cond))
                i = j
                continue
            out.append((m.start, cond))
            i += 1
        return out

    def _treatment_atoms(self, reading: Reading, start: int, end: int) -> list[tuple[int, Cond]]:
        text = reading.text
        treatments = [m for m in reading.mentions if start <= m.start < end and m.kind == "treatment"]
        if not treatments:
            return []
        atoms: list[tuple[int, Cond]] = []
        durations = [q for q in reading.quantities.durations if start <= q.start < end]
        failed_words = re.search(
            r"\bfail\w*|\bnot\s+respond\w*|\bdespite\b|\bunsuccessful\b|\bnot\s+satisfactory\b|"
            r"\binability\s+to\s+tolerate\b|\bnot\s+responded\b|\bpersists\b",
            text[start:end],
        )
        # treatments of one list are one atom: "medication optimization, activity modification, bracing ..."
        groups: list[list[Mention]] = []
        for m in treatments:
            if groups and re.fullmatch(
                r"[\s,(]*(?:and|or|and/or|,)?\s*(?:an?\s+|the\s+)?(?:[a-z-]+\s+){0,2}",
                text[groups[-1][-1].end : m.start],
            ):
                groups[-1].append(m)
            else:
                groups.append([m])
        for group in groups:
            first, last = group[0], group[-1]
            before = text[max(start, first.start - 40) : first.start]
            after = text[last.end : last.end + 40]
            if re.search(r"\bbefore\s+(?:[a-z-]+\s+){0,3}$", before):
                if re.match(
                    r"^\s*(?:\)\s*)?(?:have|has)\s+been\s+(?:tried|ruled out|attempted)|^\s*(?:were|are)\s+tried", after
                ):
                    atoms.append(
                        (
                            first.start,
                            Cond(
                                op="not",
                                items=[
                                    Cond(
                                        op="treatment",
                                        concepts=[m.concept for m in group],
                                        want="tried",
                                        text=text[first.start : last.end],
                                    )
                                ],
                                text=text[first.start : last.end],
                            ),
                        )
                    )
                continue  # "before surgery": when, not what was tried
            if all(m.negated for m in group) and not any(m.failed for m in group):
                atoms.append(
                    (
                        first.start,
                        Cond(
                            op="treatment",
                            concepts=[m.concept for m in group],
                            want="not_tried",
                            text=text[first.start : last.end],
                        ),
                    )
                )
                continue
            months = None
            months_cmp: Cmp | None = None
            for q in durations:
                gap = text[q.end : first.start]
                if q.end <= first.start and len(gap) < 60 and re.match(r"^\s*(?:of|in)\b", gap):
                    months, months_cmp = q.value, _cmp_of(q, text) or "ge"
            want = "failed" if failed_words or any(m.failed for m in group) else "tried"
            all_of = (
                bool(re.search(r"\bmust\s+include\b|\bincluding\b|\band\b", text[first.start : last.end]))
                and "must include" in text[start:end]
            )
            concepts = [m.concept for m in group]
            if len(concepts) > 1 and all_of:
                items = [
                    Cond(op="treatment", concepts=[c], want=want, text=m.text)
                    for c, m in zip(concepts, group, strict=True)
                ]
                atoms.append((first.start, Cond(op="all", items=items, text=text[first.start : last.end])))
            else:
                atoms.append(
                    (
                        first.start,
                        Cond(
                            op="treatment",
                            concepts=concepts,
                            want=want,
                            months=months,
                            months_cmp=months_cmp,
                            text=text[first.start : last.end],
                        ),
                    )
                )
        return atoms

    def _prior_atoms(
        self, reading: Reading, start: int, end: int, scope_services: list[str]
    ) -> tuple[list[tuple[int, Cond]], set[int]]:
        """Prior procedures: "at least two diagnostic MBBs, each ... at least 80%", "the prior injection gave ..."."""
        text = reading.text
        atoms: list[tuple[int, Cond]] = []
        used: set[int] = set()
        services = [m for m in self._services(reading, start, end)]
        anchors: list[tuple[int, int, list[str], dict[str, str]]] = []
        for m in services:
            concept = self.lexicon.concepts[m.concept]
            if concept.generic and not concept.targets and re.match(r"^\s*of\b", text[m.end : m.end + 6]):
                continue  # "a trial of controlled medial branch blocks": the blocks are the procedure
            resolved = self._resolve(m, reading, scope_services)
            if any(self.lexicon.is_a(s, "imaging") for s in resolved):
                continue  # imaging named in a criterion is evidence asked for, not a procedure the patient had
            window = text[max(start, m.start - 40) : m.end + 60]
            cue = re.search(
                r"\b(?:prior|previous|first|most recent|earlier|last|had|has had|trial|temporarily|each|"
                r"\d\s+(?:[a-z-]+\s+){0,3}$)",
                window,
            )
            param = re.search(
                r"\d+\s*(?:%|percent)|\bago\b|\bin a row\b|\bconsecutive\b|\bat\s+(?:the|a)\s+vertebral\s+level\b|"
                r"\bat\s+the\s+level\s+being\s+treated\b",
                window,
            )
            if set(resolved) <= set(scope_services) and not cue:
                continue
            if not (cue or param or m.negated):
                continue
            if re.search(r"\bof\s+(?:an?|the)\s+(?:prior|previous)?\s*$", text[max(start, m.start - 20) : m.start]):
                continue  # "pseudarthrosis of a prior fusion": part of a finding
            mods = {
                k.axis: k.value
                for k in reading.markers
                if m.start - 30 <= k.start < m.end and k.axis in ("intent", "phase")
            }
            concept = self.lexicon.concepts[m.concept]
            if concept.generic:
                mods.update(concept.defaults)
            anchors.append((m.start, m.end, resolved, mods | ({"negated": "1"} if m.negated else {})))
        for ref in _PRIOR_REF.finditer(text, start, end):
            if not any(a[0] <= ref.start() < a[1] + 5 or ref.start() <= a[0] < ref.end() for a in anchors):
                anchors.append((ref.start(), ref.end(), scope_services, {}))
        anchors.sort()
        for idx, (a_start, a_end, concepts, mods) in enumerate(anchors):
            stop = anchors[idx + 1][0] if idx + 1 < len(anchors) else end
            zone_start = anchors[idx - 1][1] if idx > 0 else start
            zone = text[zone_start:stop]
            negated = mods.pop("negated", None) is not None
            count = None
            m = re.search(
                r"\b(?:at\s+least\s+)?(\d)\s+((?:[a-z-]+\s+){0,4})$", text[max(start, a_start - 40) : a_start]
            )
            if m and not re.match(r"(?:days?|weeks?|months?|years?|levels?|sessions?|percent)\b", m.group(2)):
                count = int(m.group(1))
            relief = relief_cmp = None
            months = months_cmp = None
            for q in reading.quantities.percents:
                if zone_start <= q.start < stop and re.search(
                    r"relie|reduc|improv|benefit", text[q.start : q.end + 40] + text[max(0, q.start - 40) : q.start]
                ):
                    if re.match(r"^\s*(?:functional|improvement in function)", text[q.end : q.end + 30]):
                        continue  # "50% functional improvement": a function measure, handled below
                    relief, relief_cmp = q.value, _cmp_of(q, text) or "ge"
                    used.add(q.start)
                    negated = re.search(
                        r"\b(?:did\s+not|does\s+not|not)\s+(?:give|gave|provide|produce)\b",
                        text[max(start, q.start - 40) : q.start],
                    )
                    if negated and relief_cmp:
                        relief_cmp = _negate_cmp(relief_cmp)
                    break
            ago = ago_cmp = None
            for q in reading.quantities.durations:
                if not (max(start, a_start - 60) <= q.start < stop):
                    continue
                before = text[max(0, q.start - 30) : q.start]
                after = text[q.end : q.end + 20]
                if re.match(r"^\s*(?:or\s+more\s+)?ago\b", after) or re.search(
                    r"\b(?:since|have\s+passed|passed)\b", text[q.end : q.end + 30]
                ):
                    ago, ago_cmp = q.value, _cmp_of(q, text) or "ge"  # "or more ago" reads as ge too
                    used.add(q.start)
                elif re.search(
                    r"\b(?:lasting|lasted|for|sustained)\s*(?:at\s+least|a\s+minimum\s+of|more\s+than)?\s*$", before
                ):
                    months, months_cmp = q.value, _cmp_of(q, text) or "ge"
                    used.add(q.start)
                elif re.search(r"\bwithin\s*$", before):
                    ago, ago_cmp = q.value, "le"
                    used.add(q.start)
            level_zone = text[max(start, a_start - 60) : stop]
            same_level = bool(
                re.search(
                    r"\bat\s+the\s+(?:vertebral\s+)?level\s+being\s+treated\b|\bat\s+a\s+vertebral\s+level\b|\bsame\s+(?:side\s+and\s+)?level\b",
                    level_zone,
                )
            )
            consecutive = bool(re.search(r"\bin\s+a\s+row\b|\bconsecutive\b", zone))
            if count is None and re.search(
                r"\b(?:a|an|one)\s+(?:[a-z-]+\s+){0,3}$", text[max(start, a_start - 25) : a_start]
            ):
                count = 1
            if relief is None and re.search(
                r"\bpain relief has (?:first )?been demonstrated\b|\bdemonstrated pain relief\b", zone
            ):
                relief, relief_cmp = 0.0, "gt"
            functional = re.search(
                r"\bor\s+(?:at\s+least\s+)?(\d+)\s*%\s+(?:functional\s+)?improvement\s+in\s+(?:previously\s+)?(?:painful\s+)?"
                r"(?:movements|function|activities|daily)",
                zone,
            )
            only_functional = re.search(r"(?:at\s+least\s+)?(\d+)\s*%\s+functional\s+improvement", zone)
            cond = Cond(
                op="prior",
                concepts=concepts,
                count=count,
                relief=relief,
                relief_cmp=relief_cmp,
                months=months,
                months_cmp=months_cmp,
                ago_months=ago,
                ago_cmp=ago_cmp,
                same_level=same_level,
                consecutive=consecutive,
                axis=",".join(f"{k}={v}" for k, v in sorted(mods.items())),
                text=text[a_start:stop].strip(" ,;."),
            )
            if functional:
                alt = cond.model_copy(
                    update={
                        "relief": None,
                        "relief_cmp": None,
                        "measure": "functional",
                        "value": float(functional.group(1)),
                        "cmp": "ge",
                    }
                )
                cond = Cond(op="any", items=[cond, alt], text=cond.text)
            elif only_functional and relief is None:
                cond = cond.model_copy(
                    update={"measure": "functional", "value": float(only_functional.group(1)), "cmp": "ge"}
                )
            if negated:
                cond = Cond(op="not", items=[cond], text=cond.text)
            atoms.append((a_start, cond))
            self.prior_zones.append((a_start, min(stop, a_end + 80)))
        return atoms, used

    def _measure_atoms(self, reading: Reading, start: int, end: int, used: set[int]) -> list[tuple[int, Cond]]:
        text = reading.text
        atoms: list[tuple[int, Cond]] = []
        clause = text[start:end]
        # durations of pain or symptoms: "pain present for at least 3 months", "pain lasting at least 4 weeks"
        for q in reading.quantities.durations:
            if not (start <= q.start < end) or q.start in used:
                continue
            cmp = _cmp_of(q, text)
            before = text[max(start, q.start - 50) : q.start]
            after = text[q.end : q.end + 40]
            if re.match(r"^\s*(?:of|in)\s+(?:[a-z-]+\s+){0,4}(?:care|management|therapy|treatment|program)", after):
                continue  # the duration of a treatment (a treatment atom)
            if re.search(r"\bnicotine-free\b|\bnicotine\b", before):
                atoms.append(
                    (
                        q.start,
                        Cond(
                            op="measure",
                            measure="nicotine_free_months",
                            cmp=cmp or "ge",
                            value=q.value,
                            text=text[max(start, q.start - 30) : q.end],
                        ),
                    )
                )
            elif (
                re.search(
                    r"\b(?:pain|symptoms?|back pain)\b[^.;]{0,30}(?:present|lasting|for|of)?\s*(?:for\s+)?"
                    r"(?:at\s+least|a\s+minimum\s+of|more\s+than)?\s*$",
                    before,
                )
                and cmp
            ):
                atoms.append(
                    (
                        q.start,
                        Cond(
                            op="measure",
                            measure="pain_months",
                            cmp=cmp,
                            value=q.value,
                            text=text[max(start, q.start - 30) : q.end],
                        ),
                    )
                )
            used.add(q.start)
        # plain-number thresholds: BMI, HbA1c, pain scores, RDQ, age
        for m in re.finditer(
            r"\b(?:(at least|a minimum of|more than|greater than|above|over|below|less than|under|no more than|"
            r"up to|at most)\s+)?"
            r"(\d+(?:\.\d+)?)(?:\s*(%|percent))?(?:\s+(or\s+(?:more|greater|higher|above|less|lower|below)))?",
            clause,
        ):
            if not (m.group(1) or m.group(4)):
                continue
            pos = start + m.start(2)
            if pos in used or any(q.start == pos for q in reading.quantities.durations):
                continue
            if re.match(
                r"\s*(?:days?|weeks?|months?|years?|sessions?|levels?|positive|findings?|provocative|of\s+the|diagnostic|medically|comorbidit\w*|criteria|tests?|maneuvers?|ng/ml)\b",
                clause[m.end(2) : m.end(2) + 20],
            ):
                continue
            word = (m.group(1) or m.group(4) or "").replace("or ", "").strip()
            cmp = next(
                (op for pattern, op in COMPARATORS if re.fullmatch(pattern, word) or word in pattern.split("|")), None
            )
            if cmp is None:
                cmp = "ge" if word in ("more", "greater", "higher", "above") else "le"
            value = float(m.group(2))
            window = clause[max(0, m.start() - 60) : m.end() + 50]
            measure = None
            if re.search(r"\bbmi\b|body mass index", window):
                measure = "bmi"
            elif re.search(r"\ba1c\b", window):
                measure = "a1c"
            elif re.search(r"roland|rdq", window):
                measure = "rdq"
            elif re.search(r"height", window) and m.group(3):
                measure = "height_loss"
            elif re.search(r"\bnrs\b|\bvas\b|0 to 10|pain", window) and not m.group(3) and value <= 10:
                measure = "pain_score"
            elif re.search(r"\bage\b|\baged\b|years? old", window):
                measure = "age"
            if measure is None:
                continue
            atoms.append(
                (
                    pos,
                    Cond(
                        op="measure",
                        measure=measure,
                        cmp=cmp,
                        value=value,
                        text=clause[max(0, m.start() - 25) : m.end()].strip(),
                    ),
                )
            )
            used.add(pos)
        return atoms

    def _count_atoms(self, reading: Reading, start: int, end: int, skip: set[int]) -> list[tuple[int, Cond]]:
        text = reading.text
        atoms: list[tuple[int, Cond]] = []
        for m in re.finditer(
            r"\b(?:at\s+least|a\s+cluster\s+of|a\s+minimum\s+of)\s+(\d)\s+((?:[a-z-]+\s+){0,3}?)(maneuvers?|manoeuvres?|tests?|findings?|comorbidit\w+|criteria|signs?)\b",
            text[start:end],
        ):
            n = int(m.group(1))
            pos = start + m.start()
            noun_end = start + m.end()
            following = [
                x for x in reading.mentions if noun_end - 40 <= x.start < end and x.kind in ("finding", "test")
            ]
            head = [x for x in reading.mentions if pos <= x.start < noun_end + 30 and x.kind in ("finding", "test")]
            named = m.group(2).strip() + " " + m.group(3)
            concepts: list[str] = []
            examples: list[str] = []
            group_key = next((k for k in self.ctx.named if k in named), None)
            if group_key:
                examples = self.ctx.named[group_key]
            elif (
                head
                and self.lexicon.concepts[head[0].concept].kind in ("test", "finding")
                and head[0].end <= noun_end + 2
            ):
                concepts = [head[0].concept]
                examples = [x.concept for x in following if x is not head[0]]
            else:
                examples = [x.concept for x in following]
            for x in following + head:
                skip.add(x.start)
            atoms.append(
                (
                    pos,
                    Cond(op="count", concepts=concepts, examples=examples, cmp="ge", count=n, text=text[pos:noun_end]),
                )
            )
        return atoms

    def _modifier_atoms(self, reading: Reading, start: int, end: int) -> list[tuple[int, Cond]]:
        text = reading.text
        atoms: list[tuple[int, Cond]] = []
        for axis in _CONDITION_AXES:
            marks = [
                k
                for k in reading.markers
                if k.axis == axis and start <= k.start < end and not any(a <= k.start < b for a, b in self.prior_zones)
            ]
            if not marks:
                continue
            first = marks[0]
            negated = bool(_NEGATED_MOD.search(text[max(start, first.start - 30) : first.start]))
            values = list(
                dict.fromkeys(
                    k.value
                    for k in marks
                    if not re.search(r"\b(?:does not meet|is not acceptable|not accepted)\b", text[k.end : k.end + 30])
                )
            )
            if not values:
                continue
            if axis == "guidance" and "imaging" in values:
                values = list(dict.fromkeys([*values, "fluoroscopy", "ct", "ultrasound", "mri"]))
            if axis == "technique" and "non_thermal" in values:
                values = ["thermal"]
                negated = True
            atoms.append(
                (
                    first.start,
                    Cond(
                        op="modifier",
                        axis=axis,
                        values=values,
                        want="not_in" if negated else "in",
                        text=text[max(start, first.start - 20) : marks[-1].end],
                    ),
                )
            )
        return atoms

    def condition(self, reading: Reading, start: int, end: int, scope_services: list[str]) -> Cond | None:
        text = reading.text
        if _REFERS_GENERAL.search(text[start:end]):
            general = next((g for g in self.ctx.groups if _GENERAL_GROUP.search(g)), "")
            return Cond(op="ref", group=general, text=text[start:end].strip())
        unless = UNLESS.search(text, start, end)
        exception: Cond | None = None
        if unless:
            if re.search(r"\bunless\b", unless.group(0)):
                exception = self.condition(reading, unless.end(), end, scope_services)
            end = unless.start()
        regardless = re.search(
            r",?\s*\b(?:even\s+with|even\s+if|whether\s+or\s+not|regardless\s+of)\b", text[start:end]
        )
        if regardless:
            end = start + regardless.start()  # "..., even with radicular symptoms": not a condition
        semi = text.find(";", start, end)
        if semi > start:
            end = semi  # "...; ultrasound is acceptable only when ...": a second statement, an exception
        either = re.search(r"\beither\b", text[start:end])
        if either:
            cut = text.find(", or ", start + either.end(), end)
            if cut > 0:
                # "requires either worsening pain, or stable pain still rated at least 5 together with ...": two ways
                left = self.condition(reading, start + either.end(), cut, scope_services)
                right = self.condition(reading, cut + 5, end, scope_services)
                options = [c for c in (left, right) if c is not None]
                if len(options) == 2:
                    return Cond(op="any", items=options, text=text[start + either.end() : end].strip())
        prior, used = self._prior_atoms(reading, start, end, scope_services)
        skip: set[int] = set()
        counts = self._count_atoms(reading, start, end, skip)
        atoms = (
            prior + counts + self._treatment_atoms(reading, start, end) + self._measure_atoms(reading, start, end, used)
        )
        service_spans = [(m.start, m.end) for m in self._services(reading, start, end)]
        measure_spans = [
            (text.find(c.text, max(0, p - 40)), text.find(c.text, max(0, p - 40)) + len(c.text))
            for p, c in atoms
            if c.op == "measure"
        ]
        for pos, cond in self._finding_atoms(reading, start, end, skip):
            if any(a <= pos < b for a, b in service_spans) or any(a <= pos < b for a, b in measure_spans if a >= 0):
                # part of a service's name, or the words a measured threshold is read from ("nicotine-free for 6 weeks")
                continue
            atoms.append((pos, cond))
        atoms += _severity_atoms(reading, start, end)
        if not any(c.op == "measure" and c.measure == "pain_months" for _, c in atoms):
            atoms += _acuity_atoms(reading, start, end)
        atoms += self._modifier_atoms(reading, start, end)
        atoms.sort(key=lambda x: x[0])
        kept: list[tuple[int, Cond]] = []
        for k, (pos, cond) in enumerate(atoms):
            nxt = atoms[k + 1] if k + 1 < len(atoms) else None
            if cond.op == "finding" and nxt is not None:
                gap = text[pos + len(cond.text) : nxt[0]]
                if re.match(
                    r"^[\s,]*(?:that\s+is\s+|which\s+is\s+)?(?:defined|shown|evidenced|demonstrated|confirmed)\s+by\b",
                    gap,
                ):
                    # "clinical evidence of a trigger point, defined by at least two findings ...":
                    # the definition decides
                    continue
                if cond.concepts == ["persistent_symptoms"] and nxt[1].op in ("treatment", "all") and nxt[0] - pos < 40:
                    continue  # "pain that persists despite 4 weeks of therapy": the failed therapy is the criterion
            twin = next(
                (
                    c
                    for p2, c in kept
                    if c.op == "finding"
                    and cond.op == "finding"
                    and c.concepts == cond.concepts
                    and c.want == cond.want
                    and pos - p2 > 40
                ),
                None,
            )
            if twin is not None:
                twin.examples = list(dict.fromkeys([*twin.examples, *cond.examples]))
                continue
            kept.append((pos, cond))
        if not kept:
            # the exception alone is deliberately not returned as the condition
            # (was `exception if exception is not None and False else None`, always None)
            return None
        combined = _combine(text, kept)
        self.exception = exception
        return combined


_LIST_GAP = re.compile(
    r"^[\s,]*(?:,|\bor\b|\band\b|\band/or\b|\bnor\b)[\s,]*(?:(?:an?|the|other|that|than)\s+)?(?:[a-z-]+\s+){0,1}$"
)


def _combine(text: str, atoms: list[tuple[int, Cond]]) -> Cond:
    """Group atoms as the sentence coordinates them.

    Atoms separated only by list punctuation ("A, B or C", "A, B and C") form one list, any-of when
    its last connector is "or", all-of when it is "and"; other atoms are all-of. Absent findings
    listed with "or" stay all-of ("absence of A or B" = neither A nor B).
    """

    def end_of(pos: int, cond: Cond) -> int:
        return pos + len(cond.text) if cond.text and text.startswith(cond.text, pos) else pos

    lists: list[list[tuple[int, Cond]]] = [[atoms[0]]]
    connectors: list[str] = [""]
    for prev, cur in itertools.pairwise(atoms):
        gap = text[end_of(*prev) : cur[0]]
        short_or = bool(re.search(r"\bor\b", gap)) and not re.search(r"\band\b|[;.,]", gap) and len(gap.split()) <= 5
        if (_LIST_GAP.match(gap) or short_or) and not re.search(r"[;.]|\btogether with\b", gap):
            lists[-1].append(cur)
            word = re.findall(r"\b(or|and|nor)\b", gap)
            if word:
                connectors[-1] = word[-1]
        else:
            lists.append([cur])
            connectors.append("")
    items: list[Cond] = []
    for members, connector in zip(lists, connectors, strict=True):
        conds: list[Cond] = []
        for _, c in members:
            twin = next(
                (x for x in conds if x.op == c.op == "finding" and x.concepts == c.concepts and x.want == c.want), None
            )
            if twin is None:
                conds.append(c)
        if len(conds) == 1:
            items.append(conds[0])
            continue
        all_absent = all(c.op == "finding" and c.want == "absent" for c in conds)
        op = "any" if connector == "or" and not all_absent else "all"
        items.append(Cond(op=op, items=conds, text=text[members[0][0] : end_of(*members[-1])]))
    return items[0] if len(items) == 1 else Cond(op="all", items=items, text=" and ".join(x.text for x in items))


_PRECEDENCE = re.compile(
    r"\bapplies\s+only\s+to\b|\bgoverns?\b|\btakes?\s+precedence\b|\bdoes\s+not\s+apply\b|\bthe\s+exclusion\s+(?:above|below)\b"
)
_TOGETHER = re.compile(
    r"\bshould\s+be\s+given\s+(?:together\s+)?with\b|\bgiven\s+together\s+with\b|\bin\s+combination\s+with\b"
)


def _kind(sentence: str, heading: str | None) -> RuleKind | None:
    s = sentence
    unless = UNLESS.search(s)
    if unless:
        s = s[: unless.start()]  # "... unless contrast is contraindicated": the exception does not make it an exclusion
    if heading == "documentation":
        return "documentation"
    if _PRECEDENCE.search(s):
        return "note"
    if _TOGETHER.search(s) and heading not in ("exclusion",):
        return "requirement"
    if FREQUENCY.search(s):
        return "frequency"
    if heading == "recommendation" or re.search(r"\bappropriate\b|\brecommend\w*\b|\bgrade\s+[a-d1-2]", s):
        return "recommendation"
    if LEVELS.search(s):
        return "requirement"
    if NOT_COVERED.search(s):
        return "exclusion"
    if re.match(r"^the\s+[a-z -]+\s+are\s+", s) or (DEFINITION.search(s) and not REQUIRES.search(s)):
        return "definition"
    if REQUIRES.search(s) or LEVELS.search(s):
        return "requirement"
    if heading == "exclusion":
        return "exclusion"
    if heading == "inclusion":
        return "note"
    return None


_MASK = "is excluded"


def compile_statement(
    text: str, section: list[str], codes: list[str], *, doc: DocContext, chunk_id: str, ordinal: int
) -> CompiledRule | None:
    """One statement as a typed rule, or None when it is not a statement a decision can use."""
    lexicon = load_lexicon()
    heading = heading_kind(section)
    if heading is None:
        return None
    plain = normalize(text)  # what read(text).text would be, without running the pipeline for it
    kind = _kind(plain, heading)
    if kind is None:
        return None
    neg = NOT_COVERED.search(plain) if kind == "exclusion" else None
    # The coverage negation ("does not cover", "is not covered") is the rule's verdict, not a negated finding:
    # read the sentence with it replaced, so ConText does not negate what the rule excludes.
    source = f"{plain[: neg.start()]} {_MASK} {plain[neg.end() :]}" if neg else plain
    if kind == "recommendation":
        # "usually not appropriate", "should not be prescribed": the rating, not a negated population;
        # "with or without radiculopathy": neither present nor absent
        plain_for_source = re.sub(r"\bwith or without\b", "regardless of", plain)
        source = re.sub(
            r"\busually not appropriate\b|\bnot recommended\b|\bshould not\b|\brecommends? against\b|"
            r"\bis not indicated\b|\bdid not show\b",
            " rated against ",
            plain_for_source,
        )
    reading = read(source)
    s = reading.text
    mask = s.find(_MASK) if neg else -1
    compiler = _Compiler(lexicon, doc)
    head_services, head_mods = compiler.heading_scope(section, codes)
    group = " › ".join(section[1:]) if len(section) > 1 else ""
    rule_id = f"{doc.doc_id}:{ordinal:03d}:{hashlib.sha1(plain.encode()).hexdigest()[:6]}"
    rule = CompiledRule(
        rule_id=rule_id,
        doc_id=doc.doc_id,
        chunk_id=chunk_id,
        text=text,
        section=" › ".join(section),
        kind=kind,
        scope=Scope(
            group=group, general=bool(section and _GENERAL_GROUP.search(section[-1])), codes=[c.upper() for c in codes]
        ),
    )
    unless = UNLESS.search(s)
    if unless:
        rule.unless = s[unless.start() :].strip(" ,;.")

    # ---- split: subject (what the rule is about) and predicate (what it asks of the patient)
    object_services: list[Mention] = []
    if kind in ("requirement", "frequency"):
        m = LEVELS.search(s) if kind == "requirement" and LEVELS.search(s) and not REQUIRES.search(s) else None
        m = m or REQUIRES.search(s) or FREQUENCY.search(s) or LEVELS.search(s)
        split = m.start() if m else len(s)
        pred_start = m.end() if m else len(s)
    elif kind == "exclusion" and mask >= 0:
        subject = (
            compiler._services(reading, 0, mask)
            or [m for m in reading.mentions if m.kind == "treatment" and m.start < mask][:1]
        )
        object_allowed = bool(re.search(r"\b(?:does|do)\s+not\s+cover\b", plain))
        if subject or not object_allowed:
            split = mask
            cond_start = _CONDITION_START.search(s, subject[-1].end, mask) if subject else None
            pred_start = cond_start.start() if cond_start else mask + len(_MASK)
            if cond_start:
                split = cond_start.start()
        else:
            # "TRICARE does not cover RF facet denervation for pain that radiates": the service is the object
            after = mask + len(_MASK)
            object_services = compiler._services(reading, after, len(s))[:1]
            start_obj = object_services[0].end if object_services else after
            cond_start = _CONDITION_START.search(s, start_obj)
            split = mask
            pred_start = cond_start.start() if cond_start else len(s)
    else:
        split, pred_start = len(s), 0

    subject_services = compiler._services(reading, 0, split) + object_services
    if kind == "exclusion" and not subject_services:
        subject_services = [m for m in reading.mentions if m.kind == "treatment" and m.start < split][:1]
    if kind == "recommendation":
        subject_services = []
    if len(subject_services) > 1:
        kept_subject = [subject_services[0]]
        for prev, nxt in itertools.pairwise(subject_services):
            if re.fullmatch(r"[\s,]*(?:or|,|and/or)\s*(?:an?\s+|the\s+)?(?:[a-z-]+\s+){0,2}", s[prev.end : nxt.start]):
                kept_subject.append(nxt)
            else:
                break
        subject_services = kept_subject
    services: list[str] = []
    for m in subject_services:
        services += compiler._resolve(m, reading, head_services)
    if not services and kind in ("recommendation", "frequency"):
        wanted = ("service", "treatment") if kind == "recommendation" else ("service",)
        services = [
            x for m in reading.mentions if m.kind in wanted for x in compiler._resolve(m, reading, head_services)
        ]
    if not services:
        services = head_services
    rule.scope.services = list(dict.fromkeys(services))
    mods: dict[str, list[str]] = {k: list(v) for k, v in head_mods.items()}
    subject_end = split if not object_services else object_services[-1].end
    subject_start = 0 if not object_services else object_services[0].start - 60
    for k in reading.markers:
        if subject_start <= k.start < subject_end and k.axis in _SCOPE_AXES:
            if k.axis == "technique" and k.value == "non_thermal":
                mods["technique"] = ["non_thermal", "chemical", "cryo", "laser", "low_grade", "pulsed"]
                continue
            if mods.get("technique") and "non_thermal" in mods["technique"] and k.axis == "technique":
                continue
            if k.axis in head_mods and k.axis in mods and mods[k.axis] == head_mods[k.axis]:
                mods[k.axis] = []  # the sentence's own value narrows the heading's
            mods.setdefault(k.axis, [])
            if k.value not in mods[k.axis]:
                mods[k.axis].append(k.value)
    regions = [
        k.value
        for k in reading.markers
        if k.axis == "region"
        and subject_start <= k.start < subject_end
        and not any(x.start <= k.start < x.end for x in reading.mentions)
    ]
    if regions:
        mods["region"] = list(dict.fromkeys(regions))
    rule.scope.modifiers = mods
    if not rule.scope.services and not rule.scope.codes and kind not in ("documentation", "definition", "note"):
        # About nothing the vocabulary names as a service, under no heading naming billing codes: it cannot
        # decide a typed question. A graded recommendation keeps its strength for the statement matcher.
        if kind == "recommendation":
            strength = strength_of(plain)
            if strength is not None:
                rule.strength = strength
                grade = GRADE.search(rule.text)
                rule.grade = grade.group(0).strip("()") if grade else ""
                return rule
        rule.kind = "note"
        return rule

    rule.alternative = bool(re.search(r"\b(?:is|are)\s+also\s+covered\b", s[: split + 30]))
    # ---- trigger: "a hospitalized patient", "a patient who is not hospitalized", "in a patient with diabetes"
    if kind in ("requirement", "exclusion", "frequency"):
        heading_trigger = _heading_trigger(section, compiler)
        if heading_trigger is not None:
            rule.trigger = heading_trigger
        beyond = re.search(r"\b(?:continu\w+|ongoing)\b[^.;]*?\bbeyond\s+(\d+)\s+months?\b", s[: split + 40])
        if beyond:
            rule.trigger = Cond(
                op="measure", measure="treatment_months", cmp="gt", value=float(beyond.group(1)), text=beyond.group(0)
            )
        trig = _TRIGGER_SUBJECT.search(s, 0, split)
        population = [m for m in reading.mentions if m.start < split and m.kind in ("population", "finding")]
        if population and (trig or re.search(r"\bpatient\b", s[:split])):
            trigger_atoms = compiler._finding_atoms(reading, 0, split, set())
            if trigger_atoms:
                rule.trigger = _combine(s, trigger_atoms)
        if re.search(r"\bwhose\s+prior\b|\bafter\s+a\s+prior\b", s[:split]):
            prior, _ = compiler._prior_atoms(reading, 0, split, rule.scope.services)
            compiler.prior_zones = []
            if prior:
                rule.trigger = prior[0][1]

    # ---- the condition
    if re.search(r"\bsame\s+(?:day|session)\b|\bone\s+procedure\b|\bmore\s+than\s+\d\s+vertebral", s):
        rule.condition = None  # about combining procedures in one session: no patient fact decides it
        if rule.kind == "exclusion":
            return rule
    if rule.kind == "definition":
        listed = [
            x for m in compiler._services(reading, 0, len(s)) for x in compiler._resolve(m, reading, head_services)
        ]
        if len(listed) > 1:
            rule.scope.services = list(dict.fromkeys(listed))
        atoms = [a for a in compiler._finding_atoms(reading, 0, len(s), set()) if a[1].want == "present"]
        if atoms and re.search(r"\bcounts?\s+as\b", s):
            rule.condition = atoms[0][1]  # "type 2 diabetes counts as an obesity-related comorbidity": the defined case
        return rule
    if kind == "frequency":
        fm = FREQUENCY.search(s)
        pm = PERIOD.search(s)
        window = (
            12.0
            if pm and (pm.group(2) or (pm.group(1) and pm.group(1) == "12"))
            else (float(pm.group(1)) if pm and pm.group(1) else None)
        )
        if fm:
            rule.condition = Cond(op="sessions", cmp="le", count=int(fm.group(1)), months=window, text=fm.group(0))
    elif kind == "recommendation":
        _recommendation(rule, reading, section, compiler, head_services, plain)
    elif kind in ("requirement", "exclusion"):
        cond = compiler.condition(reading, pred_start, len(s), rule.scope.services)
        subject_treatments = [m for m in reading.mentions if m.kind == "treatment" and m.start < split]
        if (
            cond is None
            and subject_treatments
            and re.search(r"\brecent\b|\bwithin\s+the\s+(?:past|last)\s+(?:year|12 months)\b", s[pred_start:])
        ):
            cond = Cond(
                op="treatment", concepts=[subject_treatments[0].concept], want="recent", text=s[pred_start:].strip(" .")
            )
        region_words = [k for k in reading.markers if k.axis == "region" and k.start >= pred_start]
        if (
            kind == "exclusion"
            and region_words
            and cond is not None
            and cond.op == "finding"
            and any(
                x.start - 1 <= region_words[0].end and region_words[0].start <= x.end
                for x in reading.mentions
                if x.kind == "finding"
            )
        ):
            # "RF denervation for thoracic facet pain is not a covered benefit": a region the service is not covered in
            rule.scope.modifiers["region"] = [region_words[0].value]
            rule.kind = "not_covered"
            return rule
        lm = LEVELS.search(s)
        if lm:
            limit = int(lm.group(2) or lm.group(1))
            level_cond = Cond(op="levels", cmp="le", count=limit, text=lm.group(0))
            cond = (
                level_cond
                if cond is None
                else Cond(op="all", items=[cond, level_cond], text=f"{cond.text}; {lm.group(0)}")
            )
            rule.kind = "requirement"
        leftover = (
            s[subject_services[-1].end : mask].strip(" ,")
            if (subject_services and mask >= 0 and not object_services)
            else ""
        )
        leftover = re.sub(r"\(cpt[^)]*\)|,?\s*(?:including|such as)\b[^,]*,?", " ", leftover)
        prefix = s[: subject_services[0].start] if subject_services else ""
        head_known = bool(object_services) or not re.search(r"[a-z]{3,}", _strip_known(prefix, reading, 0))
        bare = (
            kind == "exclusion"
            and cond is None
            and head_known
            and not re.search(r"[a-z]{3,}", re.sub(r"\b(?:is|are|considered|also|any|for)\b", "", leftover))
        )
        if compiler.exception is not None and cond is not None and kind == "exclusion":
            # "not covered ... unless true trigger points are present": the exception can only lift the exclusion
            cond = Cond(
                op="all",
                items=[cond, Cond(op="not", items=[compiler.exception], text=compiler.exception.text)],
                text=cond.text,
            )
        if cond is not None and _TOGETHER.search(s):
            cond = _want_ongoing(cond)
        if kind == "exclusion" and not head_known:
            cond = (
                None  # "Routine deep sedation for an ESI ...": the rule is about something else done with the service
            )
        if bare and not s[mask + len(_MASK) :].strip(" .,;").split(" for any")[0].strip():
            rule.kind = "not_covered"  # "Open sleeve gastrectomy is not covered for any Medicare beneficiary."
        elif bare and re.match(r"^\s*for\s+any\b|^\s*[.,;]?\s*$|^\s*,?\s*because\b", s[mask + len(_MASK) :]):
            rule.kind = "not_covered"
        else:
            rule.condition = cond
    return rule


def _strip_known(text: str, reading: Reading, offset: int) -> str:
    """The words of a subject's opening that are neither articles nor known modifiers ("open", "repeat", "initial")."""
    out = text
    for k in reading.markers:
        if k.start < len(text):
            end = min(k.end, len(text))
            out = out[: k.start] + " " * (end - k.start) + out[end:]
    return re.sub(
        r"\b(?:an?|the|and|or|both|all|any|every|stand-alone|standalone|extra-articular|intra-articular|of)\b", " ", out
    )


def _want_ongoing(cond: Cond) -> Cond:
    if cond.op == "treatment":
        return cond.model_copy(update={"want": "ongoing"})
    if cond.items:
        return cond.model_copy(update={"items": [_want_ongoing(i) for i in cond.items]})
    return cond


def _heading_trigger(section: list[str], compiler: _Compiler) -> Cond | None:
    """A sub-heading naming a condition ("Osteoporotic vertebral compression fracture", "Malignant vertebral
    fracture") limits its rules to patients who have it."""
    for heading in section[2:] if len(section) > 2 else section[1:2]:
        reading = read(re.sub(r"\(cpt[^)]*\)", "", heading, flags=re.I))
        if compiler._services(reading, 0, len(reading.text)):
            continue
        atoms = [a for a in compiler._finding_atoms(reading, 0, len(reading.text), set()) if a[1].want == "present"]
        if atoms:
            return _combine(reading.text, atoms)
    return None


def _recommendation(
    rule: CompiledRule, reading: Reading, section: list[str], compiler: _Compiler, head_services: list[str], plain: str
) -> None:
    """A rating or graded recommendation: its strength, the services it rates and the population it is for."""
    s = reading.text
    strength: Strength | None = strength_of(plain)
    if strength is None:
        rule.kind = "note"
    rule.strength = strength
    grade = GRADE.search(rule.text)
    rule.grade = grade.group(0).strip("()") if grade else ""
    pop_spans: list[tuple[Reading, int, int]] = []
    rated_all = [m for m in reading.mentions if m.kind in ("service", "treatment")]
    lead_end = 0
    if re.match(r"^(?:for|in|after|when|if|because)\b", s) and rated_all:
        # "For low back pain with low-velocity trauma, osteoporosis, older age or chronic steroid use, radiographs ...":
        # the population runs up to the first service rated
        first = next((m for m in rated_all if re.search(r",\s*(?:[a-z-]+\s+){0,3}$", s[: m.start])), None)
        if first is not None:
            lead_end = first.start
            pop_spans.append((reading, 0, lead_end))
    lead = lead_end > 0
    if not lead:
        for heading_text in section[1:]:
            hr = _read_heading(heading_text)
            if heading_kind([heading_text]) is None:
                pop_spans.append((hr, 0, len(hr.text)))
    tail = re.search(r"\b(?:for|in|when|as|after)\s+(?!the\s+first\b|initial\b)([^;]+)$", s[lead_end:])
    if tail:
        pop_spans.append((reading, lead_end + tail.start(1), lead_end + tail.end(1)))
    items: list[Cond] = []
    for rd, a, b in pop_spans:
        atoms = [
            x
            for x in compiler._finding_atoms(rd, a, b, set())
            if not re.search(r"\bwith or without\s+" + re.escape(x[1].text), rd.text)
        ]
        atoms += compiler._measure_atoms(rd, a, b, set())
        atoms += _acuity_atoms(rd, a, b)
        atoms += compiler._treatment_atoms(rd, a, b)
        prior, _ = compiler._prior_atoms(rd, a, b, [])
        atoms += [x for x in prior if not any(s2 in ("imaging",) for s2 in x[1].concepts)]
        if atoms:
            atoms.sort(key=lambda x: x[0])
            items.append(_combine(rd.text, atoms))
    rule.condition = (
        None
        if not items
        else (items[0] if len(items) == 1 else Cond(op="all", items=items, text="; ".join(i.text for i in items)))
    )
    rated = [m for m in rated_all if m.start >= lead_end and not (tail and m.start >= lead_end + tail.start(1))]
    rated = [
        m
        for m in rated
        if not re.search(r"\b(?:prior|after|previous)\s+(?:[a-z-]+\s+){0,2}$", s[max(0, m.start - 25) : m.start])
    ]
    if rated:
        named = list(dict.fromkeys(x for m in rated for x in compiler._resolve(m, reading, head_services)))
        specific = [x for x in named if not any(y != x and compiler.lexicon.is_a(y, x) for y in named)]
        rule.scope.services = specific or named
        contrasts = [k.value for k in reading.markers if k.axis == "contrast"]
        if contrasts:
            rule.scope.modifiers["contrast"] = list(dict.fromkeys(contrasts))


def _severity_atoms(reading: Reading, start: int, end: int) -> list[tuple[int, Cond]]:
    """ "moderate to severe ... pain" as a pain score of at least 5 on 0-10.

    (Serlin et al. 1995: 5-6 moderate, 7-10 severe.)
    """
    text = reading.text
    m = re.search(r"\bmoderate\s+to\s+severe\b(?=[^.;]{0,60}\bpain\b)", text[start:end])
    if m is None:
        return []
    return [(start + m.start(), Cond(op="measure", measure="pain_score", cmp="ge", value=5.0, text=m.group(0)))]


def _acuity_atoms(reading: Reading, start: int, end: int) -> list[tuple[int, Cond]]:
    """ "acute", "subacute", "chronic" pain as durations (ACP 2017: < 4 weeks, 4-12 weeks, > 12 weeks)."""
    inside = [
        (m.start, m.end)
        for m in reading.mentions
        if not any(reading.text[m.start : m.end].startswith(w) for w in ("acute or", "chronic low"))
    ]
    text = "".join(
        " "
        if any(a <= start + k < b for a, b in inside if not reading.text[a:b].endswith(("pain", "fracture")))
        else ch
        for k, ch in enumerate(reading.text[start:end])
    )
    out: list[tuple[int, Cond]] = []
    for pattern, cmp, value in (
        (r"\bacute or subacute\b", "le", 3.0),
        (r"\bsubacute or chronic\b", "ge", 0.92),
        (r"\bacute\b", "lt", 0.92),
        (r"\bchronic\b", "ge", 3.0),
    ):
        m = re.search(pattern, text)
        if m:
            measure = (
                "fracture_age_months"
                if re.match(r"\s*(?:[a-z-]+\s+){0,4}fractures?\b", text[m.end() :])
                else "pain_months"
            )
            out.append((start + m.start(), Cond(op="measure", measure=measure, cmp=cmp, value=value, text=m.group(0))))  # type: ignore[arg-type]
            break
    return out


@dataclass
class Statement:
    text: str
    section: list[str]
    codes: list[str]
    chunk_id: str
    # "list" (a list item: every one is kept, a note included, so `docs show` lists the whole policy) or
    # "sentence" (a rule-worded sentence of a paragraph: kept only when it compiles to a rule)
    origin: str = "list"


def compile_statements(doc_id: str, title: str, statements: list[Statement]) -> list[CompiledRule]:
    """Every statement of a document as a rule (definitions first, so counts can name their groups)."""
    ctx = DocContext(doc_id=doc_id, title=title)
    probe = _Compiler(load_lexicon(), ctx)
    ctx.codes = {c.upper() for st in statements for c in st.codes}
    for st in statements:
        for s in probe.heading_scope(st.section, st.codes)[0]:
            if s not in ctx.services:
                ctx.services.append(s)
    for st in statements:
        group = " › ".join(st.section[1:]) if len(st.section) > 1 else ""
        ctx.groups.setdefault(group, [])
        m = re.match(r"^the\s+([a-z -]+?)\s+are\s+(.+)$", normalize(st.text))
        if m:
            reading = read(st.text)
            ctx.named[m.group(1).strip()] = [x.concept for x in reading.mentions if x.start >= m.start(2)]
    rules: list[CompiledRule] = []
    for i, st in enumerate(statements):
        rule = compile_statement(st.text, st.section, st.codes, doc=ctx, chunk_id=st.chunk_id, ordinal=i)
        if rule is not None and not (rule.kind == "note" and st.origin == "sentence"):
            rules.append(rule)
    return rules
