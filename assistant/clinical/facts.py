"""Turn a question into typed :class:`~assistant.clinical.records.ClinicalFacts`.

The question is read once (:func:`core.lexicon.reader.read`: concepts with medspaCy ConText
assertions, modifier and anatomy markers, typed quantities); this module then decides which
service is asked about and with which modifiers, which procedures the patient already had (how
many, with what relief, how long ago, at which levels), which treatments failed and for how
long, and the measured values (pain and disability scores, BMI, HbA1c, age, how long the pain
has lasted). Nothing here knows a policy: the judge compares these facts with compiled criteria.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from assistant.clinical.records import (
    ABSENT,
    FAILED,
    FAMILY,
    HISTORICAL,
    HYPOTHETICAL,
    NOT_TRIED,
    ONGOING,
    POSSIBLE,
    PRESENT,
    TRIED,
    Ask,
    ClinicalFacts,
    Event,
    Finding,
    Measure,
    Treatment,
)
from core.codes import find_cpt, find_hcpcs, find_icd10
from core.lexicon import Concept, Lexicon, load_lexicon
from core.lexicon.quantities import Level, Quantity, to_months
from core.lexicon.reader import Marker, Mention, Reading, read

CodeServices = Callable[[str], list[str]]  # code -> service ids (most specific first)
CodeModifiers = Callable[[str], dict[str, str]]  # code -> modifiers its descriptor states

_INFORMATION = re.compile(
    r"^\s*(?:what|which|how|when|where|who|list|describe|explain)\b(?!\s+(?:if|about)\b)"
    r"|\b(?:what|which)\s+(?:documentation|documents|codes?|criteria|requirements?|options?|limits?|records?)\b"
    r"|\bhow\s+(?:often|many|long|frequently|soon)\b",
)
_NECESSITY = re.compile(
    r"\b(?:covered|cover|indicated|necessary|appropriate|approv\w*|reasonable|warranted|justified|qualif\w*|"
    r"eligible|ok|okay|meet\w*\s+(?:the\s+)?(?:policy\s+)?criteria|recommended|go\s+ahead|be\s+started|"
    r"be\s+repeated|add|order|do|perform|get|repeat|payable|allowed)\b"
)
_HISTORY_BEFORE = re.compile(
    r"(?:\bhad\b|\bhas had\b|\bhave had\b|\bafter\b|\bfollowing\b|\bfailed\b|\bdespite\b|\bstatus post\b|\bprior\b|"
    r"\bprevious\w*\b|\bunderwent\b|\breceived\b|\bdone\b|\bhistory of\b|\bexhausted\b|\btried\b)[^.;?]{0,80}$"
)
# "rather than an MRI", "a tear confirmed by MRI", "seen on CT": a service named as the alternative or
# as the evidence, not the one asked about.
_NOT_ASKED_BEFORE = re.compile(
    r"(?:\brather than|\binstead of|\bthan|\bversus|\bvs\.?|\b(?:confirmed|shown|seen|demonstrated|documented|"
    r"proven|diagnosed|visible)\s+(?:by|on|with|at))\s+(?:an?\s+|the\s+|prior\s+|previous\s+)?$"
)
_RELIEF = re.compile(
    r"relie\w*|reduc\w*|improv\w*|better|benefit|response|decrease\w*|less pain|pain relief|gave|helped|success"
)
_SCORE_CONTEXT = re.compile(r"oswestry|disability|ndi|odi|roland|rdq|height|a1c|bmi|body mass|translation")
_AGE = [
    re.compile(r"\b(\d{1,3})\s*-?\s*(day|week|month|year)s?\s*-?\s*old\b"),
    re.compile(r"\b(?:age|aged)\s*(\d{1,3})\b"),
    re.compile(r"\b(\d{1,3})\s*(?:m|f|male|female|man|woman|yo)\b"),
]
_FEMALE = re.compile(r"\b(?:she|her|woman|female|girl|mrs|ms|pregnan\w*|\d{1,3}\s*f)\b")
_MALE = re.compile(r"\b(?:he|his|him|man|male|boy|mr|\d{1,3}\s*m)\b")
_PAIN_SCORE = [
    re.compile(
        r"\b(?:nrs|vas|pain(?:\s+score)?|rated|rates|pain\s+is(?:\s+now)?|pain\s+of|stable\s+at|score\s+of)\s*(?:of\s+|is\s+|at\s+|=\s*|:\s*)?(\d{1,2}(?:\.\d)?)\s*(?:/\s*10)?\b(?!\s*(?:%|percent|mm|months?|weeks?|years?|days?))"
    ),
    re.compile(r"\b(\d{1,2}(?:\.\d)?)\s*/\s*10\b"),
]
_DISABILITY = re.compile(
    r"\b(?:oswestry(?:\s+disability\s+index)?|neck\s+disability\s+index|disability\s+index)(?:\s+score)?"
    r"(?:\s+of|\s+is|\s+was|\s+at|\s*:|\s*=)?\s*(\d{1,3})\s*(?:%|percent)?"
)
_RDQ = re.compile(
    r"\broland-?morris(?:\s+disability\s+questionnaire)?(?:\s+\(rdq\))?(?:\s+score)?(?:\s+of|\s+is|\s+was|\s*:|\s*=)?\s*(\d{1,2})\b"
)
_BMI = re.compile(
    r"\b(?:bmi|body mass index)(?:\s*\(bmi\))?(?:\s+of|\s+is|\s+was|\s+were|\s+at|\s*:|\s*=)?\s*(\d{2}(?:\.\d+)?)\b"
)
_A1C = re.compile(r"\bhemoglobin a1c(?:\s+of|\s+is|\s+was|\s+at|\s*:|\s*=)?\s*(\d{1,2}(?:\.\d+)?)\s*%?")
_HEIGHT = re.compile(
    r"\b(?:lost|loss of|lose|losing)\s+(\d{1,3})\s*(?:%|percent)\s+of\s+"
    r"(?:its\s+|the\s+|her\s+|his\s+)?(?:vertebral\s+)?(?:body\s+)?height"
    r"|\b(\d{1,3})\s*(?:%|percent)\s+(?:vertebral\s+(?:body\s+)?)?(?:height loss|loss of height|collapse)"
)
_QUIT = re.compile(
    r"\b(?:quit|stopped|gave up)\s+(?:smoking|tobacco|nicotine|cigarettes|vaping)\s+"
    r"(\d+(?:\.\d+)?)\s*(days?|weeks?|months?|years?)\s+ago\b"
)
_NICOTINE_FREE = re.compile(r"\bnicotine-free\s+for\s+(\d+(?:\.\d+)?)\s*(days?|weeks?|months?|years?)\b")
_NTH = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "2nd": 2, "3rd": 3, "4th": 4, "1st": 1}
_SESSIONS = re.compile(
    r"\b(?:would be|will be|is|be)\s+(?:her|his|their|the|a)\s+(first|second|third|fourth|fifth|1st|2nd|3rd|4th)\b"
    r"[^.;?]{0,60}?\b(?:in|within|during)\s+the\s+(?:last|past|prior)\s+(12 months|year|1 year)"
)
_NO_OTHER = re.compile(
    r"\bno\s+other\s+([a-z -]{3,40}?)\s+(?:in|within|during)\s+the\s+(?:last|past|prior)\s+(12 months|year|1 year)"
)
_POSITIVE_COUNT = re.compile(
    r"\b(\d)\s+positive\s+(?:provocative|provocation|sacroiliac|si)?\s*(?:tests?|maneuvers?|manoeuvres?)"
    r"|\b(\d)\s+(?:provocative|provocation)\s+(?:tests?|maneuvers?)\s+(?:are|were)\s+positive"
)
_ONLY = re.compile(r"\bonly\b")
_FRACTURE_AGE = re.compile(r"\b(\d+(?:\.\d+)?)\s*-?\s*(day|week|month|year)s?\s*-?\s*old\b(?=[^.;?]{0,40}\bfracture)")
_CHRONIC = re.compile(r"\bchronic\b")
_ACUTE = re.compile(r"\bacute\b(?!\s+or\s+subacute)")
_SUBACUTE = re.compile(r"\bsubacute\b")
_PAINLIKE = {
    "pain",
    "radicular_symptoms",
    "neurogenic_claudication",
    "complex_regional_pain_syndrome",
    "limb_symptoms",
}
_GENERIC_ANAPHORA = re.compile(
    r"\b(?:the|that|this|those|these)\s+(?:same\s+)?(injection|injections|procedure|procedures|block|blocks|ablation|implant|surgery|treatment|denervation)\b"
)
_AGO = re.compile(r"^\s*ago\b")
_OF_AFTER = re.compile(r"^\s*(?:of|in)\b")
_FOR_BEFORE = re.compile(
    r"(?:\bfor|\blasting|\blasted|\blasts|\bover|\bx)\s*(?:about\s+|nearly\s+|only\s+|the\s+past\s+|the\s+last\s+)?$"
)


def _status(m: Mention) -> str:
    if m.negated:
        return ABSENT
    if m.family:
        return FAMILY
    if m.hypothetical:
        return HYPOTHETICAL
    if m.possible:
        return POSSIBLE
    if m.historical:
        return HISTORICAL
    return PRESENT


def _between(reading: Reading, a: int, b: int) -> str:
    return reading.text[min(a, b) : max(a, b)]


def _same_clause(reading: Reading, a: int, b: int) -> bool:
    return reading.clause_of(a) == reading.clause_of(b)


def _levels_in(reading: Reading, start: int, end: int) -> list[Level]:
    return [lv for lv in reading.quantities.levels if start <= lv.start < end]


def _segments(levels: list[Level]) -> frozenset[str]:
    return frozenset(s for lv in levels for s in lv.segments)


def _region(levels: list[Level], markers: list[Marker]) -> str | None:
    regions = [lv.region for lv in levels if lv.region != "sacral"]
    if not regions:
        regions = [lv.region for lv in levels]
    if regions:
        return regions[0]
    named = [m.value for m in markers if m.axis == "region"]
    return named[0] if named else None


def _ask_sentence(reading: Reading) -> tuple[int, int]:
    asks = [(s, e) for s, e in reading.sentences if "?" in reading.text[s:e]]
    if asks:
        return asks[-1]
    return reading.sentences[-1] if reading.sentences else (0, len(reading.text))


def _resolve_generic(lexicon: Lexicon, mention: Mention, reading: Reading, code_services: list[str]) -> str | None:
    """A generic action ("radiofrequency ablation") as the service its target names, if it names one."""
    concept = lexicon.concepts[mention.concept]
    if not concept.generic:
        return mention.concept
    if not concept.targets:
        return None
    clause = reading.clause_of(mention.start)
    window = (max(clause[0], mention.start - 60), min(clause[1], mention.end + 80))
    targets = [m for m in reading.markers if m.axis == "target" and window[0] <= m.start < window[1]]
    # The closest named target decides: "RFA of the nerves supplying that SI joint" is SI, not facet.
    targets.sort(key=lambda m: abs(m.start - mention.start))
    for t in targets:
        if t.value in concept.targets:
            return concept.targets[t.value]
        return None  # another nerve or joint (genicular, knee, occipital...): not a service we know
    for service in code_services:
        if any(lexicon.is_a(service, s) or lexicon.is_a(s, service) for s in concept.targets.values()):
            return service
    # Elsewhere in the question: blocks of the medial branches, SI joint findings.
    anywhere = [m.value for m in reading.markers if m.axis == "target"]
    known = [concept.targets[t] for t in anywhere if t in concept.targets]
    if known and not [t for t in anywhere if t not in concept.targets]:
        return known[0]
    return None


def _modifiers(reading: Reading, start: int, end: int, axes: set[str] | None = None) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in reading.markers:
        if start <= m.start < end and m.axis not in ("target", "region", "payer") and (axes is None or m.axis in axes):
            out.setdefault(m.axis, m.value)
    return out


def _count_before(reading: Reading, mention: Mention) -> int | None:
    """How many of a procedure: "2 consecutive ... blocks", "x2", "a block", "only 1 block", "both"."""
    before = reading.text[max(0, mention.start - 50) : mention.start]
    after = reading.text[mention.end : mention.end + 12]
    m = re.search(r"\bx\s*(\d)\b", after)
    if m:
        return int(m.group(1))
    m = re.search(r"(?:^|\s)(\d)\s+(?:[a-z-]+\s+|\d{1,3}\s*%\s+){0,5}$", before)
    if m and not re.match(r"\s*\d\s*(?:%|percent|-year|years?|months?|weeks?|days?|mm)", before[m.start() :]):
        return int(m.group(1))
    if re.search(r"\bboth\s+(?:[a-z-]+\s+){0,4}$", before):
        return 2
    if re.search(r"\b(?:a|an|single|one)\s+(?:[a-z-]+\s+){0,4}$", before) and not mention.text.endswith("s"):
        return 1
    return None


def _relief_percents(reading: Reading, start: int, end: int) -> list[Quantity]:
    """Percentages of relief in a span: near a relief word, or following another relief figure
    ("the first relieved 85% ... but the second only 79%"); never a score ("Oswestry 44%")."""
    out: list[Quantity] = []
    for q in reading.quantities.percents:
        if not (start <= q.start < end):
            continue
        context = reading.text[max(start, q.start - 40) : min(end, q.end + 40)]
        near_before = reading.text[max(start, q.start - 25) : q.start]
        if _SCORE_CONTEXT.search(near_before) or re.search(r"^\s*(?:of\s+(?:its|the)\s+height)", reading.text[q.end :]):
            continue
        follows = (
            bool(out) and q.start - out[-1].end < 70 and not _SCORE_CONTEXT.search(reading.text[out[-1].end : q.start])
        )
        if _RELIEF.search(context) or follows:
            out.append(q)
    return out


def _is_ago(reading: Reading, q: Quantity) -> bool:
    return bool(_AGO.match(reading.text[q.end :]))


def _durations_in(reading: Reading, start: int, end: int) -> list[Quantity]:
    return [q for q in reading.quantities.durations if start <= q.start < end]


class _Builder:
    def __init__(self, question: str, code_services: CodeServices | None, code_modifiers: CodeModifiers | None):
        self.lexicon = load_lexicon()
        self.reading = read(question)
        self.raw = question
        self.code_services = code_services or self.lexicon.services_for_code
        self.code_modifiers = code_modifiers or (lambda code: {})
        self.facts = ClinicalFacts(text=self.reading.text, intent="necessity")
        self.owner: dict[int, int] = {}  # percent/duration start -> id of the mention it belongs to

    # ------------------------------------------------------------------ entry
    def build(self) -> ClinicalFacts:
        r = self.reading
        codes = [*find_cpt(self.raw), *find_hcpcs(self.raw)]
        icd = {c for c, _ in find_icd10(self.raw)}
        codes = [c for c in codes if c not in icd]
        self.facts.codes = tuple(codes)
        self.facts.unknown_codes = tuple(c for c in codes if not self.code_services(c))
        self.facts.payers = tuple(dict.fromkeys(m.value for m in r.markers if m.axis == "payer"))
        self._icd_findings()
        self._measures()
        span = _ask_sentence(r)
        asked = self._asks(span, codes)
        if not asked and not any(c in r.text[span[0] : span[1]].upper() for c in codes) and len(r.sentences) > 1:
            # "Repeat L4-5 TFESI for L5 radic. Prior TFESI 4 mo ago gave 60%. Approve?": the ask names no service;
            # the service the question is about is the first one not stated as past.
            whole = (0, span[0])
            asked = self._asks(whole, codes)
            if asked:
                span = r.sentence_of(asked[0].start)
        asked_ids = {id(m) for m in asked}
        self._resolve_asks(asked, span, codes)
        self._assign_numbers()
        asked_services = {a.service for a in self.facts.asks}
        for m in r.mentions:
            if m.kind != "service" or id(m) in asked_ids:
                continue
            if re.search(
                r"\b(?:would|will)\s+be\s+(?:her|his|their|the|a|an)\s+(?:[a-z0-9-]+\s+){0,2}$",
                r.text[max(0, m.start - 50) : m.start],
            ):
                continue  # "it would be her second epidural injection": the one asked about
            if re.match(
                r"^\s*(?:is|are|was|were)\s+(?:planned|proposed|requested|scheduled)\b", r.text[m.end : m.end + 30]
            ) or re.search(r"\b(?:planned|proposed|requested)\s+$", r.text[max(0, m.start - 20) : m.start]):
                continue  # "the planned denervation": what is asked, not a past event
            in_ask = span[0] <= m.start < span[1]
            if (
                in_ask
                and not m.historical
                and not m.negated
                and (m.concept in asked_services or self._event_service(m) in asked_services)
            ):
                concept = self.lexicon.concepts[m.concept]
                own_phase = concept.defaults.get("phase") if concept.generic else None
                if own_phase is None or all(a.modifiers.get("phase") == own_phase for a in self.facts.asks):
                    before = re.split(
                        r"\b(?:when|while|where|whereas)\b|,", r.text[max(span[0], m.start - 100) : m.start]
                    )[-1]
                    if not _HISTORY_BEFORE.search(before):
                        continue  # "... when the denervation is planned at L4-5": the ask again, not a past event
            self._event(m)
        self._infer_sequence()
        self._same_levels(span)
        self._implied_levels()
        for m in r.mentions:
            if m.kind in ("finding", "test", "population", "scale"):
                self._finding(m)
            elif m.kind == "treatment" and id(m) not in asked_ids:
                self._treatment(m)
        self._share_in_lists()
        self._pain_duration()
        self._tests()
        self._sessions()
        self.facts.intent = self._intent(span)
        return self.facts

    # ------------------------------------------------------------------ asks
    def _anchor(self, span: tuple[int, int]) -> int:
        """Where the question proper starts in the ask sentence: its last interrogative verb."""
        text = self.reading.text[span[0] : span[1]]
        found = list(
            re.finditer(
                r"(?:^|[,;:]\s*|\b(?:and|so|then|but)\s+)(is|are|was|were|can|could|should|would|will|does|do|did|may|must)\b",
                text,
            )
        )
        return span[0] + found[-1].start(1) if found else span[0]

    def _asks(self, span: tuple[int, int], codes: list[str]) -> list[Mention]:
        r = self.reading
        in_span = [m for m in r.mentions if span[0] <= m.start < span[1]]
        services = [m for m in in_span if m.kind == "service"]
        span_text = r.text[span[0] : span[1]].upper()
        unknown_here = [c for c in self.facts.unknown_codes if c in span_text]
        if not services and not unknown_here:
            services = [m for m in in_span if m.kind == "treatment"]
        candidates: list[Mention] = []
        for m in services:
            before = r.text[max(span[0], m.start - 100) : m.start]
            after = r.text[m.end : m.end + 30]
            if re.search(
                r"\b(?:from|of|after|following)\s+(?:that|this|those|these|the\s+same|the\s+prior|the\s+last)\s+(?:[a-z-]+\s+)?$",
                before,
            ):
                continue  # "the relief from that injection had lasted...": the procedure already described
            if re.match(
                r"^\s*(?:was|were|had\s+been|has\s+been|have\s+been)\s+(?:done|performed|given|tried)\b", after
            ):
                continue  # "what if only one block was done?": the procedures already had
            planned = bool(re.search(r"\b(?:planned|proposed|intended|requested)\s+$", before)) or bool(
                re.match(r"^\s*(?:(?:is|are|was)\s+)?(?:planned|proposed|requested|scheduled)\b", after)
            )
            if not planned:
                if _NOT_ASKED_BEFORE.search(before) or m.historical or m.family or (m.negated and m.kind == "service"):
                    continue
                if re.search(r"\b(?:his|her|their|the patient's)\s+(?:[a-z-]+\s+){0,2}$", before) and re.match(
                    r"^\s*(?:had|was|were|has|is|at|in)\b", after
                ):
                    continue  # "his fusion had been at L5-S1": something the patient has, not what is asked
                recent = re.split(r"[,;:]|\s-\s", before)[-1]
                if _HISTORY_BEFORE.search(recent) and not re.search(
                    r"\b(?:is|are|can|could|would|should|will|do|does)\b[^.;?]*$", recent[-40:]
                ):
                    continue
            candidates.append(m)
        if not candidates:
            return []
        # "MBB x2 85/90 %": a procedure with a count or a result is one the patient had.
        candidates = [
            m
            for m in candidates
            if not re.match(r"^\s*(?:x\s*\d|\d{1,3}\s*(?:/\s*\d{1,3}\s*)?%)", r.text[m.end : m.end + 14])
        ] or candidates
        anchor = self._anchor(span)
        if anchor == span[0] and not re.match(
            r"\s*(?:is|are|was|were|can|could|should|would|will|does|do|did|may|must)\b", r.text[span[0] : span[1]]
        ):
            # Shorthand with no question verb ("58F axial LBP x8mo, MBB x2 85/90 %, RFA ok?"): the service
            # a stated code bills leads ("L5-S1 microdiscectomy 63030 ..., MRI L5-S1 extrusion?"); else
            # the service named last, next to the question mark, that is not reported as a result.
            billed = {s for c in codes if c in span_text for s in self.code_services(c)}
            by_code = [m for m in candidates if any(self.lexicon.is_a(s, m.concept) or s == m.concept for s in billed)]
            if by_code:
                return [by_code[0]]
            asked_last = [m for m in candidates if not self._reports_result(m)] or candidates
            return [asked_last[-1]]
        after_anchor = [m for m in candidates if m.start >= anchor]
        first = (after_anchor or candidates)[0]
        joined = [first]
        for m in candidates:
            if m.start <= joined[-1].start:
                continue
            gap = r.text[joined[-1].end : m.start]
            if (
                m.kind == first.kind
                and len(gap) < 30
                and re.fullmatch(r"[\s,]*(?:and|plus|or|with|,)\s+(?:an?\s+|the\s+)?(?:[a-z0-9()-]+\s+){0,3}", gap)
            ):
                joined.append(m)
        return joined

    def _reports_result(self, m: Mention) -> bool:
        """An imaging study followed by what it found ("MRI L5-S1 extrusion", "CT shows a fracture") is
        evidence the question states, not the study it asks for."""
        concept = self.lexicon.concepts[m.concept]
        if not self.lexicon.is_a(m.concept, "imaging") and "imaging" not in concept.broader:
            return False
        r = self.reading
        clause_end = r.clause_of(m.start)[1]
        after = r.text[m.end : clause_end]
        if re.match(
            r"^\s*(?:shows?|showed|showing|demonstrat\w*|reveal\w*|confirm\w*|with|positive|negative|:)\b", after
        ):
            return True
        findings = [f for f in r.mentions if f.kind == "finding" and m.end <= f.start < clause_end]
        levels = _levels_in(r, m.end, clause_end)
        return (
            bool(findings) and bool(levels) and levels[0].start - m.end < 6 and findings[0].start - levels[0].end < 25
        )

    def _ask_levels(self, asked: list[Mention], span: tuple[int, int]) -> list[Level]:
        """Levels the asked service treats: near it in its clause, never a finding's level ("L5 radiculopathy")."""
        r = self.reading
        if asked:
            near = self._levels_of(asked[-1])
            if near:
                return near
        anchors = [m for m in r.mentions if m.kind == "service" and span[0] <= m.start < span[1]] if asked else []
        out = []
        findings = [m for m in r.mentions if m.kind == "finding"]
        for lv in _levels_in(r, span[0], span[1]):
            if anchors and not any(
                _same_clause(r, a.start, lv.start) and -40 <= lv.start - a.start <= 120 for a in anchors
            ):
                continue
            follower = [
                f
                for f in findings
                if 0 <= f.start - lv.end < 25 and re.fullmatch(r"\s*(?:[a-z-]+\s+){0,2}", r.text[lv.end : f.start])
            ]
            if follower and not re.search(
                r"\b(?:at|of the|of|on the|to)\s*(?:the\s+)?(?:left\s+|right\s+|bilateral\s+)?$",
                r.text[max(0, lv.start - 20) : lv.start],
            ):
                continue
            out.append(lv)
        return out

    def _levels_of(self, m: Mention) -> list[Level]:
        """Levels a procedure mention names: after it up to the next procedure (past a coordinated one:
        "the two blocks and the planned denervation were at L3-4"), else just before it."""
        r = self.reading
        clause = r.clause_of(m.start)
        services = [o for o in r.mentions if o.kind == "service" and m.end <= o.start < clause[1]]
        start = m.end
        for o in services:
            found = _levels_in(r, start, o.start)
            if found:
                return found
            gap = r.text[start : o.start]
            if not re.search(r"\band\b|,", gap) or re.search(r"\b(?:had|has|was|were|is|are)\b", gap):
                return [lv for lv in _levels_in(r, clause[0], m.start) if m.start - lv.end < 40]
            start = o.end
        found = _levels_in(r, start, clause[1])
        findings = [f for f in r.mentions if f.kind == "finding"]
        found = [
            lv
            for lv in found
            if not any(
                0 <= f.start - lv.end < 25 and re.fullmatch(r"\s*(?:[a-z-]+\s+){0,2}", r.text[lv.end : f.start])
                for f in findings
            )
            or re.search(r"\bat\s+$", r.text[max(0, lv.start - 6) : lv.start])
        ]
        if found:
            return found
        return [lv for lv in _levels_in(r, clause[0], m.start) if m.start - lv.end < 40]

    def _resolve_asks(self, asked: list[Mention], span: tuple[int, int], codes: list[str]) -> None:
        r, lexicon = self.reading, self.lexicon
        span_upper = r.text[span[0] : span[1]].upper()
        span_codes = [c for c in codes if c in span_upper] or codes
        code_services = [s for c in span_codes for s in self.code_services(c)]
        code_mods: dict[str, str] = {}
        for c in span_codes:
            for k, v in self.code_modifiers(c).items():
                code_mods.setdefault(k, v)
        levels = self._ask_levels(asked, span)
        markers = [m for m in r.markers if span[0] <= m.start < span[1]]
        region = _region(levels, markers) or code_mods.get("region") or self._region_anywhere()
        segments = _segments(levels)
        if not segments and re.search(r"\b(?:same|those|these)\s+levels?\b|\bat\s+those\b", r.text[span[0] : span[1]]):
            segments = frozenset(s for e in self.facts.events for s in e.segments)
        level_count = len([s for s in segments if "-" in s]) or len(segments) or None
        explicit = [q for q in r.quantities.level_counts if span[0] <= q.start < span[1]]
        if explicit:
            level_count = int(explicit[0].value)
        mods = {**code_mods, **_modifiers(r, span[0], span[1])}
        if not asked:
            unknown = [c for c in self.facts.unknown_codes if c in span_upper]
            if code_services and not unknown:
                self._add_ask(
                    code_services[0], span_codes, mods, segments, region, level_count, r.text[span[0] : span[1]]
                )
            elif unknown:
                self._add_ask(f"unrecognized:{unknown[0]}", span_codes, mods, segments, region, level_count, unknown[0])
            return
        unknown = [c for c in self.facts.unknown_codes if c in span_upper]
        if code_services and len(asked) > 1:
            # "decompression with posterolateral fusion (22612)": the service its code bills leads
            asked = sorted(asked, key=lambda m: 0 if any(lexicon.is_a(s, m.concept) for s in code_services) else 1)
        for m in asked:
            concept = lexicon.concepts[m.concept]
            service: str | None = m.concept
            if concept.generic:
                service = _resolve_generic(lexicon, m, r, code_services)
            if service is None or (unknown and not code_services and concept.generic):
                service = f"unrecognized:{m.concept}"
            else:
                narrower = [s for s in code_services if lexicon.is_a(s, service)]
                if narrower:
                    service = narrower[0]
            self._add_ask(service, span_codes, mods, segments, region, level_count, m.text)

    def _add_ask(
        self,
        service: str,
        codes: list[str],
        mods: dict[str, str],
        segments: frozenset[str],
        region: str | None,
        level_count: int | None,
        text: str,
    ) -> None:
        concept = self.lexicon.concepts.get(service)
        full = dict(concept.defaults) if concept else {}
        full.update(mods)
        if region:
            full.setdefault("region", region)
        self.facts.asks.append(Ask(service, full, tuple(codes), segments, region, text, level_count))

    def _infer_sequence(self) -> None:
        """An asked service the patient already had (same intent) is a repeat, unless the question says otherwise."""
        asks = []
        for a in self.facts.asks:
            if "sequence" not in a.modifiers:
                same = [
                    e
                    for e in self.facts.events
                    if not e.negated
                    and self._same_service(e.service, a.service)
                    and e.modifiers.get("intent", a.modifiers.get("intent")) == a.modifiers.get("intent")
                    and e.modifiers.get("phase", a.modifiers.get("phase")) == a.modifiers.get("phase")
                ]
                if same:
                    a = replace(a, modifiers={**a.modifiers, "sequence": "repeat"})
            asks.append(a)
        self.facts.asks = asks

    def _same_levels(self, span: tuple[int, int]) -> None:
        """ "at those levels", "the same levels": the levels of the procedures already described."""
        if not re.search(r"\b(?:same|those|these)\s+levels?\b|\bat\s+those\b", self.reading.text[span[0] : span[1]]):
            return
        segments = frozenset(s for e in self.facts.events if not e.negated for s in e.segments)
        self.facts.asks = [
            replace(a, segments=segments, level_count=len([s for s in segments if "-" in s]) or None)
            if not a.segments
            else a
            for a in self.facts.asks
        ]

    def _implied_levels(self) -> None:
        """A request that names no level, after diagnostic procedures of its own family (ones with a
        measured relief) at one set of levels ("MBB x2 at L4-5 and L5-S1 (85%, 90%) ... OK for RFA
        64635/64636?"), is read as being at those levels, and the Ask records that they were assumed.
        Two different level sets, or a level count the codes contradict, stay unknown."""
        lexicon = self.lexicon
        for i, a in enumerate(self.facts.asks):
            if a.segments or a.service.startswith("unrecognized:"):
                continue
            family = set(lexicon.ancestors(a.service)) - {a.service}
            kin = [
                e
                for e in self.facts.events
                if not e.negated
                and e.segments
                and e.reliefs
                and (a.region is None or e.region in (None, a.region))
                and family & (set(lexicon.ancestors(e.service)) | {e.service})
            ]
            sets = {e.segments for e in kin}
            if len(sets) != 1:
                continue
            segments = next(iter(sets))
            count = len([s for s in segments if "-" in s]) or len(segments)
            if a.level_count is not None and a.level_count != count:
                continue
            self.facts.asks[i] = replace(
                a,
                segments=segments,
                level_count=a.level_count or count,
                levels_assumed=f"the levels of the {kin[-1].text} ({', '.join(sorted(segments))})",
            )

    def _same_service(self, a: str, b: str) -> bool:
        return self.lexicon.is_a(a, b) or self.lexicon.is_a(b, a)

    def _region_anywhere(self) -> str | None:
        r = self.reading
        regions = [lv.region for lv in r.quantities.levels if lv.region != "sacral"]
        if regions:
            return regions[0]
        named = [m.value for m in r.markers if m.axis == "region"]
        if named:
            return named[0]
        for m in r.mentions:
            if m.concept == "low_back_pain":
                return "lumbar"
            if m.concept == "neck_pain":
                return "cervical"
            if m.concept == "mid_back_pain":
                return "thoracic"
        return None

    # ------------------------------------------------------------------ numbers -> the procedure they describe
    def _assign_numbers(self) -> None:
        """Each relief percentage and relief/elapsed duration belongs to one procedure mention.

        A percentage right before a procedure is its own ("two 90% medial branch blocks"); a
        clause opening with "it"/"which"/"each" refers back to the previous clause's procedure;
        otherwise a number belongs to the nearest procedure named before it in its clause.
        """
        r = self.reading
        services = [m for m in r.mentions if m.kind == "service"]
        if not services:
            return
        numbers = [q for q in r.quantities.percents] + [
            q
            for q in r.quantities.durations
            if _is_ago(r, q)
            or re.search(
                r"(?:relie\w*|relief|lasting|lasted|lasts|benefit)[^.;?]{0,80}$", r.text[max(0, q.start - 90) : q.start]
            )
        ]
        for q in numbers:
            nxt = [m for m in services if q.end <= m.start and _same_clause(r, m.start, q.start)]
            if (
                q.kind == "percent"
                and nxt
                and re.match(
                    r"^\s*(?:of\s+(?:her|his|the)\s+(?:index\s+)?pain\s+)?(?:pain\s+)?(?:relief|reduction|improvement|response)\s+(?:from|with|after|of|to)\b",
                    r.text[q.end :],
                )
            ):
                self.owner[q.start] = id(nxt[0])
                continue
            after_mention = [m for m in services if 0 <= m.start - q.end <= 25 and _same_clause(r, m.start, q.start)]
            gap = r.text[q.end : after_mention[0].start] if after_mention else ""
            if (
                after_mention
                and q.kind == "percent"
                and re.fullmatch(r"[\s-]*(?:[a-z-]+\s+){0,2}", gap)
                and not re.search(
                    r"\b(?:had|has|have|was|were|is|gave|relief|relieved|and|then|from|after|with)\b", gap
                )
            ):
                self.owner[q.start] = id(after_mention[0])
                continue
            clause = r.clause_of(q.start)
            before = [m for m in services if clause[0] <= m.start < q.start]
            if before:
                self.owner[q.start] = id(before[-1])
                continue
            if re.match(
                r"^\s*(?:it|this|that|which|they|each|both|the (?:first|second)|relief)\b",
                r.text[clause[0] : clause[1]],
            ):
                earlier = [
                    m for m in services if m.start < clause[0] and r.sentence_of(m.start) == r.sentence_of(q.start)
                ]
                if not earlier:
                    prev = [m for m in services if m.start < clause[0]]
                    earlier = prev[-1:] if prev else []
                if earlier:
                    # the main procedure of the previous clause: its first one
                    prev_clause = r.clause_of(earlier[-1].start)
                    main = [m for m in services if prev_clause[0] <= m.start < prev_clause[1]]
                    self.owner[q.start] = id(main[0])
                    continue
            after = [m for m in services if q.end <= m.start < clause[1]]
            if after and q.kind == "duration" and _is_ago(r, q):
                continue
            if after:
                self.owner[q.start] = id(after[0])
                continue
            sentence = r.sentence_of(q.start)
            earlier_in_sentence = [m for m in services if sentence[0] <= m.start < clause[0]]
            if earlier_in_sentence and q.kind == "percent":
                self.owner[q.start] = id(earlier_in_sentence[-1])  # "2 MBBs C5-6: 85% then 79%"

    # ------------------------------------------------------------------ events
    def _event_service(self, m: Mention) -> str | None:
        concept = self.lexicon.concepts[m.concept]
        if not concept.generic:
            return m.concept
        resolved = _resolve_generic(self.lexicon, m, self.reading, [])
        if resolved:
            return resolved
        if not concept.targets:  # "trial": of the device asked about
            asks = [a.service for a in self.facts.asks if not a.service.startswith("unrecognized:")]
            return asks[0] if asks else m.concept
        specific = {
            s.concept for s in self.reading.mentions if s.kind == "service" and s.concept in concept.targets.values()
        }
        asks = [a.service for a in self.facts.asks if a.service in concept.targets.values()]
        if len(specific) == 1:
            return specific.pop()
        if asks:
            return asks[0]
        return m.concept  # unresolved: kept under its generic id (a follow-up may name it later)

    def _event(self, m: Mention) -> None:
        r = self.reading
        service = self._event_service(m)
        if service is None:
            return
        clause = r.clause_of(m.start)
        count = _count_before(r, m)
        mine = [q for q in r.quantities.percents if self.owner.get(q.start) == id(m) and q.kind == "percent"]
        reliefs: list[float] = []
        relief_percents = {q.start for q in _relief_percents(r, 0, len(r.text))}
        for q in mine:
            # "MBB x2 85/90 %": a percentage right after the procedure is its result
            near_before = r.text[max(0, q.start - 25) : q.start]
            score_like = bool(_SCORE_CONTEXT.search(near_before)) or bool(
                re.match(r"^\s*(?:of\s+(?:its|the)\s+height|height)", r.text[q.end :])
            )
            if q.start in relief_percents or not score_like:
                reliefs.extend(q.values)
        months_ago = None
        relief_months = None
        for q in r.quantities.durations:
            if self.owner.get(q.start) != id(m):
                continue
            if _is_ago(r, q):
                months_ago = q.value if months_ago is None else months_ago
            elif (
                q.text.startswith("x")
                or _FOR_BEFORE.search(r.text[max(0, q.start - 14) : q.start])
                or re.search(
                    r"(?:lasted|lasting|lasts)\s+(?:only\s+|about\s+|nearly\s+)?$",
                    r.text[max(0, q.start - 20) : q.start],
                )
            ):
                relief_months = q.value
        for y in r.quantities.years:
            if clause[0] <= y.start < clause[1] and months_ago is None:
                months_ago = y.value
        levels = self._levels_of(m)
        markers = [k for k in r.markers if clause[0] <= k.start < clause[1]]
        if count is None and len(reliefs) >= 2:
            count = len(reliefs)
        if (
            count
            and len(reliefs) == 1
            and re.search(r"\beach\b|\bboth\b", r.text[m.start : clause[1]] + r.text[clause[1] : clause[1] + 40])
        ):
            reliefs = reliefs * count
        consecutive = bool(
            re.search(r"\bconsecutive\b|\bin a row\b|\bback-to-back\b", r.text[max(clause[0], m.start - 40) : m.end])
        )
        functional = None
        fm = re.search(r"(\d{1,3})\s*%\s+(?:functional|improvement in function)", r.text[clause[0] : clause[1]])
        if fm:
            functional = float(fm.group(1))
        concept = self.lexicon.concepts.get(m.concept)
        mods = _modifiers(r, max(clause[0], m.start - 60), min(clause[1], m.end + 40))
        if concept and concept.generic:
            mods.update(concept.defaults)  # "a trial" is the trial phase whatever else the clause says
        self.facts.events.append(
            Event(
                service=service,
                count=count,
                reliefs=tuple(reliefs),
                relief_months=relief_months,
                months_ago=months_ago,
                segments=_segments(levels),
                region=_region(levels, markers),
                text=r.text[clause[0] : clause[1]].strip(),
                modifiers=mods,
                consecutive=consecutive,
                negated=m.negated,
                functional=functional,
            )
        )

    def _anaphoric_events(self) -> None:
        """ "who had the same injection four months ago": a past event of the service asked about."""
        r = self.reading
        for m in re.finditer(
            r"\b(?:had|received|underwent|got)\s+(?:the\s+same|a\s+similar|this|that|an?\s+identical)\s+"
            r"(?:injection|procedure|block|ablation|treatment)\b([^.;?]*)",
            r.text,
        ):
            if not self.facts.asks:
                return
            ago = re.search(r"(\d+(?:\.\d+)?)\s*(days?|weeks?|months?|years?)\s+ago", m.group(1))
            ask = self.facts.asks[0]
            self.facts.events.append(
                Event(
                    service=ask.service,
                    count=1,
                    reliefs=(),
                    relief_months=None,
                    months_ago=to_months(float(ago.group(1)), ago.group(2)) if ago else None,
                    segments=ask.segments,
                    region=ask.region,
                    text=m.group(0),
                    modifiers={k: v for k, v in ask.modifiers.items() if k in ("intent", "approach")},
                )
            )

    # ------------------------------------------------------------------ findings and treatments
    def _finding(self, m: Mention) -> None:
        status = _status(m)
        if m.kind == "test":
            status = ABSENT if m.negated else (PRESENT if m.positive else POSSIBLE)
        excluded = m.negated and bool(re.search(r"exclud|ruled out", self.reading.text[m.end : m.end + 60]))
        self.facts.findings.append(Finding(m.concept, status, m.text, excluded))

    def _treatment(self, m: Mention) -> None:
        r = self.reading
        if m.failed:
            status = FAILED
        elif m.negated:
            status = NOT_TRIED
        elif m.ongoing:
            status = ONGOING
        elif m.hypothetical:
            return
        else:
            status = TRIED
        clause = r.clause_of(m.start)
        months = None
        others = [o for o in r.mentions if o is not m and o.kind != "treatment"]
        for q in _durations_in(r, clause[0], clause[1]):
            if _is_ago(r, q):
                continue
            gap_after = r.text[q.end : m.start]
            if (
                q.end <= m.start
                and len(gap_after) < 90
                and "." not in gap_after
                and not any(q.end <= o.start < m.start for o in others)
            ):
                if _OF_AFTER.match(gap_after) or re.fullmatch(
                    r"\s*(?:-?\s*(?:long|duration))?\s*(?:[a-z-]+\s+){0,3}", gap_after
                ):
                    months = q.value
            elif (
                q.start >= m.end
                and len(r.text[m.end : q.start]) < 25
                and (
                    _FOR_BEFORE.search(r.text[m.end : q.start])
                    or (q.text.lower().startswith("x") and not r.text[m.end : q.start].strip())  # "NSAIDs x3mo"
                )
            ):
                months = q.value
        complete = bool(re.search(r"\bcompleted\b", r.text[max(clause[0], m.start - 80) : m.start]))
        self.facts.treatments.append(Treatment(m.concept, status, months, m.text, complete))

    def _share_in_lists(self) -> None:
        """Treatments of one list ("failed 5 wk PT/NSAIDs", "4 months of NSAIDs, PT and a HEP") share its duration."""
        r = self.reading
        mentions = [m for m in r.mentions if m.kind == "treatment"]
        by_text = {t.text: i for i, t in enumerate(self.facts.treatments)}
        groups: list[list[Mention]] = []
        for m in mentions:
            if groups and re.fullmatch(
                r"\s*(?:,|/|and|or|,\s*and|,\s*or)\s*(?:an?\s+|the\s+)?", r.text[groups[-1][-1].end : m.start]
            ):
                groups[-1].append(m)
            else:
                groups.append([m])
        for group in groups:
            idx = [by_text[m.text] for m in group if m.text in by_text]
            months = [self.facts.treatments[i].months for i in idx if self.facts.treatments[i].months is not None]
            if not months:
                continue
            for i in idx:
                t = self.facts.treatments[i]
                if t.months is None:
                    self.facts.treatments[i] = replace(t, months=months[0])

    def _icd_findings(self) -> None:
        """ICD-10-CM codes are findings too: their descriptions are read like the question."""
        for code, desc in find_icd10(self.raw):
            reading = read(desc)
            for m in reading.mentions:
                if m.kind in ("finding", "population"):
                    self.facts.findings.append(Finding(m.concept, _status(m), f"{code} ({desc})"))

    # ------------------------------------------------------------------ measures
    def _measures(self) -> None:
        r = self.reading
        text = r.text
        add = self.facts.measures.append
        for pattern in _AGE:
            m = pattern.search(text)
            if m:
                unit = m.group(2) if pattern is _AGE[0] else "year"
                value = to_months(float(m.group(1)), unit) / 12.0
                if 0 < value < 120:
                    add(Measure("age", value, m.group(0)))
                break
        female, male = bool(_FEMALE.search(text)), bool(_MALE.search(text))
        self.facts.sex = "F" if female and not male else "M" if male and not female else None
        taken: list[tuple[int, int]] = []
        for m in _DISABILITY.finditer(text):
            add(Measure("disability_score", float(m.group(1)), m.group(0)))
            taken.append((m.start(), m.end()))
        for m in _RDQ.finditer(text):
            add(Measure("rdq", float(m.group(1)), m.group(0)))
            taken.append((m.start(), m.end()))
        seen: set[int] = set()
        scores: list[tuple[int, Measure]] = []
        for pattern in _PAIN_SCORE:
            for m in pattern.finditer(text):
                if any(s <= m.start(1) < e for s, e in taken) or m.start(1) in seen:
                    continue
                value = float(m.group(1))
                if value > 10:
                    continue
                seen.add(m.start(1))
                scores.append((m.start(1), Measure("pain_score", value, m.group(0))))
        self.facts.measures.extend(s for _, s in sorted(scores, key=lambda x: x[0]))
        for m in _BMI.finditer(text):
            add(Measure("bmi", float(m.group(1)), m.group(0)))
        for m in _A1C.finditer(text):
            add(Measure("a1c", float(m.group(1)), m.group(0)))
        for m in _HEIGHT.finditer(text):
            add(Measure("height_loss", float(m.group(1) or m.group(2)), m.group(0)))
        for m in _FRACTURE_AGE.finditer(text):
            add(Measure("fracture_age_months", to_months(float(m.group(1)), m.group(2)), m.group(0)))
        for m in re.finditer(
            r"\bfracture\s+(?:that\s+)?(?:began|started|occurred|happened)\s+(\d+(?:\.\d+)?)\s*(days?|weeks?|months?|years?)\s+ago\b",
            text,
        ):
            add(Measure("fracture_age_months", to_months(float(m.group(1)), m.group(2)), m.group(0)))
        for m in re.finditer(r"\b(?:old|chronic|healed|long-standing)\s+(?:[a-z0-9-]+\s+){0,3}fracture\b", text):
            add(Measure("fracture_age_months", 3.01, m.group(0), bound="ge"))  # older than acute or subacute
        for m in _QUIT.finditer(text):
            add(Measure("nicotine_free_months", to_months(float(m.group(1)), m.group(2)), m.group(0)))
        for m in _NICOTINE_FREE.finditer(text):
            add(Measure("nicotine_free_months", to_months(float(m.group(1)), m.group(2)), m.group(0)))
        for m in _POSITIVE_COUNT.finditer(text):
            add(Measure("positive_tests", float(m.group(1) or m.group(2)), m.group(0)))

    def _pain_duration(self) -> None:
        """How long the pain has lasted: a duration tied to a pain-like finding, or 'chronic'/'acute'."""
        r, lexicon = self.reading, self.lexicon
        painlike = [
            m
            for m in r.mentions
            if m.kind == "finding" and not m.negated and any(lexicon.is_a(m.concept, p) for p in _PAINLIKE)
        ]
        for q in r.quantities.durations:
            if q.start in self.owner or _is_ago(r, q):
                continue
            tied = False
            for m in painlike:
                if not _same_clause(r, m.start, q.start):
                    continue
                between_mentions = [
                    o for o in r.mentions if o is not m and min(q.end, m.end) <= o.start < max(q.start, m.start)
                ]
                if any(o.kind in ("treatment", "service") for o in between_mentions):
                    continue
                gap_after = r.text[q.end : m.start]
                gap_before = r.text[m.end : q.start]
                if (0 <= m.start - q.end < 90 and _OF_AFTER.match(gap_after) and not re.search(r"[;.]", gap_after)) or (
                    0 <= q.start - m.end < 40
                    and (_FOR_BEFORE.search(gap_before) or re.fullmatch(r"[\s,]*(?:x|for)?\s*", gap_before))
                ):
                    tied = True
                if tied:
                    break
            if tied:
                self.facts.measures.append(Measure("pain_months", q.value, q.text))
        if self.facts.measure("pain_months") is None:
            for m in painlike:
                window = r.text[max(0, m.start - 30) : m.start]
                if _CHRONIC.search(window):
                    self.facts.measures.append(Measure("pain_months", 3.0, "chronic " + m.text, bound="ge"))
                    break
                if _SUBACUTE.search(window):
                    self.facts.measures.append(Measure("pain_months", 1.0, "subacute " + m.text, bound="ge"))
                    break
                if _ACUTE.search(window):
                    self.facts.measures.append(Measure("pain_months", 0.92, "acute " + m.text, bound="le"))
                    break

    def _tests(self) -> None:
        tests = [f for f in self.facts.findings if self.lexicon.concepts[f.concept].kind == "test"]
        if self.facts.measure("positive_tests") is None:
            positive = {f.concept for f in tests if f.status == PRESENT and f.concept != "si_provocative_test"}
            if positive:
                self.facts.measures.append(Measure("positive_tests", float(len(positive)), ", ".join(sorted(positive))))
        text = self.reading.text
        for m in re.finditer(r"\bonly\b", text):
            window = text[m.end() : m.end() + 80]
            if re.search(r"\bpositive\b", window) and any(f.text in window and f.status == PRESENT for f in tests):
                self.facts.only_positive_tests = True

    def _sessions(self) -> None:
        text = self.reading.text
        m = _SESSIONS.search(text)
        if m:
            self.facts.measures.append(Measure("sessions_12m", float(_NTH[m.group(1)]), m.group(0)))
            return
        m = _NO_OTHER.search(text)
        if m and self.facts.asks:
            ask = self.facts.asks[0]
            within = [
                e
                for e in self.facts.events
                if self._same_service(e.service, ask.service)
                and not e.negated
                and (e.months_ago is None or e.months_ago <= 12)
            ]
            self.facts.measures.append(Measure("sessions_12m", float(len(within) + 1), m.group(0)))

    def _intent(self, span: tuple[int, int]) -> str:
        ask = self.reading.text[span[0] : span[1]].strip()
        if (
            _INFORMATION.search(ask)
            and not re.match(r"^\s*(?:and\s+|but\s+)?what\s+if\b", ask)
            and not re.search(r"\b(?:is|are)\s+(?:it|this|that|the)\b.*\b(?:covered|indicated|necessary)\b", ask)
        ):
            return "information"
        return "necessity"


def extract_facts(
    question: str, *, code_services: CodeServices | None = None, code_modifiers: CodeModifiers | None = None
) -> ClinicalFacts:
    """The typed facts of one question (see the module docstring)."""
    return _Builder(question, code_services, code_modifiers).build()


def _generic_of(service: str, lexicon: Lexicon) -> Concept | None:
    """The generic concept behind an unresolved service id ("block_generic", "unrecognized:injection_generic")."""
    cid = service.split(":", 1)[1] if service.startswith("unrecognized:") else service
    concept = lexicon.concepts.get(cid)
    return concept if concept is not None and concept.generic else None


def _matches_generic(generic: Concept, service: str, asks: list[Ask], lexicon: Lexicon) -> bool:
    if generic.targets:
        return any(lexicon.is_a(service, s) for s in generic.targets.values())
    return any(lexicon.is_a(service, a.service) or lexicon.is_a(a.service, service) for a in asks)


def merge_followup(base: ClinicalFacts, followup: ClinicalFacts) -> ClinicalFacts:
    """The facts of a follow-up read in its conversation: what it states replaces what the first turn said.

    "What if only one block was done?" changes the count of the earlier blocks; "and if her BMI were
    34.8?" replaces the BMI; "what if we do the same blocks under fluoroscopy instead?" changes the
    guidance of the same ask; a follow-up naming another service asks about that service instead.
    A generic noun ("the injection", "the blocks", "the planned denervation") means the procedure
    of the first turn that it can name.
    """
    lexicon = load_lexicon()
    merged = replace(base)
    merged.text = f"{base.text} {followup.text}"
    new_concepts = {f.concept for f in followup.findings}
    merged.findings = [f for f in base.findings if f.concept not in new_concepts] + list(followup.findings)
    new_treatments = {t.concept for t in followup.treatments}
    merged.treatments = [t for t in base.treatments if t.concept not in new_treatments] + list(followup.treatments)
    names = {m.name for m in followup.measures}
    merged.measures = [m for m in base.measures if m.name not in names] + list(followup.measures)
    events = list(base.events)
    for e in followup.events:
        generic = _generic_of(e.service, lexicon)
        if generic is not None:
            same = [i for i, b in enumerate(events) if _matches_generic(generic, b.service, base.asks, lexicon)]
        else:
            same = [
                i
                for i, b in enumerate(events)
                if lexicon.is_a(b.service, e.service) or lexicon.is_a(e.service, b.service)
            ]
        if same:
            i = same[-1]
            old = events[i]
            events[i] = replace(
                old,
                count=e.count if e.count is not None else old.count,
                reliefs=e.reliefs or old.reliefs,
                relief_months=e.relief_months if e.relief_months is not None else old.relief_months,
                months_ago=e.months_ago if e.months_ago is not None else old.months_ago,
                segments=e.segments or old.segments,
                region=e.region or old.region,
                negated=e.negated,
                modifiers={**old.modifiers, **{k: v for k, v in e.modifiers.items() if k != "sequence"}},
                text=f"{old.text} / {e.text}",
            )
        elif generic is None:
            events.append(e)
    merged.events = events
    real = [a for a in followup.asks if _generic_of(a.service, lexicon) is None]
    patches = [a for a in followup.asks if _generic_of(a.service, lexicon) is not None]
    if real:
        asks = []
        for a in real:
            prior = [b for b in base.asks if lexicon.is_a(b.service, a.service) or lexicon.is_a(a.service, b.service)]
            if prior:
                b = prior[0]
                asks.append(
                    replace(
                        a,
                        service=a.service if lexicon.is_a(a.service, b.service) else b.service,
                        modifiers={**b.modifiers, **a.modifiers},
                        segments=a.segments or b.segments,
                        region=a.region or b.region,
                        codes=a.codes or b.codes,
                        level_count=a.level_count or b.level_count,
                    )
                )
            else:
                asks.append(a)
        merged.asks = asks
    elif base.asks:
        # The same ask, with what the follow-up changes about it ("under fluoroscopy", "at L3-4").
        if patches:
            mods = {k: v for k, v in patches[0].modifiers.items() if k != "region"}
            segments = patches[0].segments
            level_count = patches[0].level_count
        else:
            reading = read(followup.text)
            mods = {k.axis: k.value for k in reading.markers if k.axis not in ("target", "region", "payer")}
            segments, level_count = frozenset(), None
        merged.asks = [
            replace(
                a,
                modifiers={**a.modifiers, **mods},
                segments=segments or a.segments,
                level_count=level_count or a.level_count,
            )
            for a in base.asks
        ]
    merged.intent = followup.intent if real or followup.intent == "information" else base.intent
    merged.codes = tuple(dict.fromkeys([*base.codes, *followup.codes]))
    merged.unknown_codes = followup.unknown_codes if real else base.unknown_codes
    merged.payers = tuple(dict.fromkeys([*base.payers, *followup.payers]))
    merged.sex = followup.sex or base.sex
    merged.only_positive_tests = followup.only_positive_tests or base.only_positive_tests
    return merged
