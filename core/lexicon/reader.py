"""Read a clinical text into concept mentions with their ConText assertions.

Concepts, services, tests and treatments are found with the vocabulary of :mod:`core.lexicon`
(longest phrase first, on the reading text of :func:`core.lexicon.normalize.normalize`); what each
mention's context says of it (negated, historical, hypothetical, family, and for treatments
failed or ongoing, for tests positive) comes from medspaCy's ConText with its default rules plus
``context.yaml``. Modifier phrases (repeat, thermal, under fluoroscopy), anatomic targets and
spinal regions are located too, so callers can attach them to the service they stand beside.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from core.lexicon import Lexicon, load_lexicon
from core.lexicon.normalize import normalize
from core.lexicon.quantities import Quantities, find_quantities

if TYPE_CHECKING:
    from spacy.tokens import Span

LABELS = {
    "finding": "FINDING",
    "treatment": "TREATMENT",
    "test": "TEST",
    "population": "POPULATION",
    "scale": "SCALE",
    "service": "SERVICE",
}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Mention:
    """A concept named in the text, with what its context asserts about it."""

    concept: str
    kind: str
    start: int
    end: int
    text: str
    negated: bool = False
    historical: bool = False
    hypothetical: bool = False
    family: bool = False
    possible: bool = False
    failed: bool = False
    ongoing: bool = False
    positive: bool = False
    by_term: bool = False  # named as absent by its own words ("non-radiating", "no red flags"), not by ConText

    @property
    def asserted(self) -> bool:
        """Stated as present for this patient now (not negated, hypothetical, a relative's, or doubtful)."""
        return not (self.negated or self.hypothetical or self.family or self.possible)


@dataclass(frozen=True)
class Marker:
    """A modifier value, anatomic target or spinal region named at a place in the text."""

    axis: str  # a modifier axis ("sequence", "guidance"...), "target" or "region"
    value: str
    start: int
    end: int


@dataclass
class Reading:
    text: str  # the reading text every offset refers to
    sentences: list[tuple[int, int]] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    quantities: Quantities = field(default_factory=Quantities)

    def sentence_of(self, offset: int) -> tuple[int, int]:
        for start, end in self.sentences:
            if start <= offset < end:
                return start, end
        return 0, len(self.text)

    def clause_of(self, offset: int) -> tuple[int, int]:
        """The clause around an offset: the sentence cut at ';', ':' and ' - '."""
        s, e = self.sentence_of(offset)
        start, end = s, e
        for m in re.finditer(r"[;:]|\s-\s", self.text[s:e]):
            pos = s + m.start()
            if pos < offset:
                start = s + m.end()
            elif pos >= offset:
                end = pos
                break
        return start, end


def _phrase_regex(phrases: list[tuple[str, str]]) -> re.Pattern[str]:
    """One alternation of every phrase, longest first, each with an optional plural 's'."""
    ordered = sorted({p for p, _ in phrases}, key=len, reverse=True)
    body = "|".join(re.escape(p) + ("s?" if p[-1].isalpha() else "") for p in ordered)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


@dataclass(frozen=True)
class _Matchers:
    phrases: re.Pattern[str]
    phrases_at: re.Pattern[str]
    phrase_owner: dict[str, tuple[str, bool]]  # phrase -> (concept id, names it as absent)
    patterns: tuple[tuple[re.Pattern[str], str], ...]
    markers: re.Pattern[str]
    marker_owner: dict[str, list[tuple[str, str]]]  # phrase -> [(axis, value)]
    marker_patterns: tuple[tuple[re.Pattern[str], str, str], ...]


@cache
def _matchers(lexicon: Lexicon) -> _Matchers:
    owner: dict[str, tuple[str, bool]] = {}
    patterns: list[tuple[re.Pattern[str], str]] = []
    for c in lexicon.concepts.values():
        for term in c.terms:
            owner.setdefault(normalize(term), (c.id, False))
        for term in c.absent_terms:
            owner[normalize(term)] = (c.id, True)
        patterns += [(re.compile(p), c.id) for p in c.patterns]
    marker_owner: dict[str, list[tuple[str, str]]] = {}
    for axis, values in lexicon.modifiers.items():
        for value, terms in values.items():
            for term in terms:
                marker_owner.setdefault(normalize(term), []).append((axis, value))
    marker_patterns: list[tuple[re.Pattern[str], str, str]] = []
    for tid, target in lexicon.targets.items():
        for term in target.terms:
            marker_owner.setdefault(normalize(term), []).append(("target", tid))
        marker_patterns += [(re.compile(p), "target", tid) for p in target.patterns]
    for region, terms in lexicon.regions.items():
        for term in terms:
            marker_owner.setdefault(normalize(term), []).append(("region", region))
    phrases = _phrase_regex([(p, "") for p in owner])
    markers = _phrase_regex([(p, "") for p in marker_owner])
    phrases_at = re.compile(
        r"(?<![a-z0-9])(?=(" + phrases.pattern.split("(?:", 1)[1].rsplit(")(?!", 1)[0] + r")(?![a-z0-9]))"
    )
    return _Matchers(phrases, phrases_at, owner, tuple(patterns), markers, marker_owner, tuple(marker_patterns))


def _owner(m: _Matchers, surface: str, table: dict[str, Any]) -> Any:
    if surface in table:
        return table[surface]
    if surface.endswith("s") and surface[:-1] in table:
        return table[surface[:-1]]
    return None


def _stub_quickumls() -> None:
    """medspaCy's ``util`` imports QuickUMLS only to register an optional UMLS matcher factory that
    GuideQA never uses; QuickUMLS would bring a GPL dependency (Unidecode), so it is not installed
    and an empty module stands in for it (medspaCy's ConText does not touch it)."""
    import importlib.util
    import sys
    import types

    if "quickumls" in sys.modules or importlib.util.find_spec("quickumls") is not None:
        return
    package = types.ModuleType("quickumls")
    component = types.ModuleType("quickumls.spacy_component")
    package.spacy_component = component  # type: ignore[attr-defined]
    sys.modules["quickumls"] = package
    sys.modules["quickumls.spacy_component"] = component


@cache
def _nlp() -> Any:
    """A blank English spaCy pipeline with a sentencizer and medspaCy's ConText (rules: defaults + ours)."""
    for name in ("PyRuSH", "medspacy", "pyrush"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:  # PyRuSH and medspaCy log through loguru at DEBUG: silence them.
        from loguru import logger as loguru_logger

        loguru_logger.disable("PyRuSH")
        loguru_logger.disable("medspacy")
    except ImportError:  # pragma: no cover - loguru ships with PyRuSH
        pass
    _stub_quickumls()
    import spacy
    from medspacy.context import ConText, ConTextRule

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    context: ConText = nlp.add_pipe("medspacy_context", config={"rules": "default"})
    lexicon = load_lexicon()
    dropped = {str(w).lower() for d in lexicon.context_drop for w in d.get("words", [])}
    ours = list(lexicon.context_rules)
    # A rule may name categories it ends ("terminates: [NEGATED_EXISTENCE]"): its category joins their
    # terminated_by set, so a comma ends a negation without also cutting "X, including Y, failed".
    extra: dict[str, set[str]] = {}
    for raw in ours:
        for category in raw.get("terminates", ()):
            extra.setdefault(str(category).upper(), set()).add(str(raw["category"]).upper())

    def rebuilt(
        literal: str,
        category: str,
        pattern: Any,
        direction: str,
        max_scope: Any,
        allowed: Any,
        excluded: Any,
        terminated_by: Any,
    ) -> Any:
        kwargs: dict[str, Any] = {"direction": direction, "max_scope": max_scope}
        if pattern is not None:
            kwargs["pattern"] = pattern
        if allowed:
            kwargs["allowed_types"] = set(allowed)
        if excluded:
            kwargs["excluded_types"] = set(excluded)
        ended = set(terminated_by or ()) | extra.get(category.upper(), set())
        if ended:
            kwargs["terminated_by"] = ended
        return ConTextRule(literal, category, **kwargs)

    rules = []
    for r in context.rules:
        pattern = r.pattern
        if isinstance(pattern, list) and dropped:
            pattern = [
                {
                    k: ({"IN": [w for w in v["IN"] if w not in dropped]} if isinstance(v, dict) and "IN" in v else v)
                    for k, v in tok.items()
                }
                for tok in pattern
            ]
        rules.append(
            rebuilt(
                r.literal,
                r.category,
                pattern,
                r.direction,
                r.max_scope,
                r.allowed_types,
                r.excluded_types,
                r.terminated_by,
            )
        )
    for raw in ours:
        rules.append(
            rebuilt(
                raw["literal"],
                raw["category"],
                raw.get("pattern"),
                raw.get("direction", "BIDIRECTIONAL"),
                raw.get("max_scope"),
                raw.get("allowed_types"),
                None,
                raw.get("terminated_by"),
            )
        )
    _rebuild_context(nlp, rules)
    return nlp


_PREDICATES = frozenset(
    [
        "has",
        "have",
        "had",
        "is",
        "are",
        "was",
        "were",
        "shows",
        "showed",
        "reports",
        "reported",
        "complains",
        "presents",
        "underwent",
        "received",
        "gave",
        "relieved",
        "matches",
        "began",
        "developed",
        "showing",
        "shown",
        "demonstrating",
        "demonstrates",
        "revealing",
        "reveals",
        "revealed",
        "requires",
        "require",
        "required",
        "qualifies",
        "must",
    ]
)


def _crosses_predicate(doc: Any, modifier: Any, ent: Any) -> bool:
    """A negation does not reach past a verb that starts a new statement.

    "does not have diabetes | has severe central stenosis": ConText's window would negate the
    stenosis; a finite verb between the cue and the finding ends the negated statement.
    """
    if modifier.category != "NEGATED_EXISTENCE":
        return False
    start, end = modifier.modifier_span
    if end <= ent.start:
        between = doc[end : ent.start]
    elif start >= ent.end:
        between = doc[ent.end : start]
    else:
        return False
    return any(tok.lower_ in _PREDICATES for tok in between)


def _rebuild_context(nlp: Any, rules: list[Any]) -> Any:
    """A ConText component holding exactly ``rules`` (medspaCy has no remove-rule call)."""
    from medspacy.context import ConText

    nlp.remove_pipe("medspacy_context")
    context: ConText = nlp.add_pipe("medspacy_context", config={"rules": None})
    context.add(rules)
    return context


def _spans(text: str, lexicon: Lexicon) -> tuple[list[tuple[int, int, str, bool]], list[Marker]]:
    m = _matchers(lexicon)
    found: list[tuple[int, int, str, bool]] = []
    # Every start position (a lookahead), so "low back pain centered over the SI joint" yields both phrases.
    for hit in m.phrases_at.finditer(text):
        phrase = hit.group(1)
        owner = _owner(m, phrase, m.phrase_owner)
        if owner:
            found.append((hit.start(), hit.start() + len(phrase), owner[0], owner[1]))
    for pattern, cid in m.patterns:
        found += [(h.start(), h.end(), cid, False) for h in pattern.finditer(text)]
    # Longest first, then leftmost: "medial branch block" beats "block", "non-radiating" beats "radiating".
    found.sort(key=lambda x: (-(x[1] - x[0]), x[0]))
    kept: list[tuple[int, int, str, bool]] = []
    for span in found:
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    kept.sort()
    markers: list[Marker] = []
    for hit in m.markers.finditer(text):
        for axis, value in _owner(m, hit.group(0), m.marker_owner) or []:
            markers.append(Marker(axis, value, hit.start(), hit.end()))
    for pattern, axis, value in m.marker_patterns:
        markers += [Marker(axis, value, h.start(), h.end()) for h in pattern.finditer(text)]
    markers.sort(key=lambda x: x.start)
    # "under CT guidance", "without imaging guidance": the modality names the guidance, not a service.
    guides = [(k.start, k.end) for k in markers if k.axis in ("guidance", "contrast")]
    kept = [
        span
        for span in kept
        if not (lexicon.concepts[span[2]].kind == "service" and any(a <= span[0] and span[1] <= b for a, b in guides))
    ]
    return kept, markers


@lru_cache(maxsize=20000)
def read(text: str) -> Reading:
    """The reading of a text: sentences, concept mentions with assertions, markers, quantities."""
    lexicon = load_lexicon()
    norm = normalize(text)
    spans, markers = _spans(norm, lexicon)
    reading = Reading(text=norm, markers=markers, quantities=find_quantities(norm))
    if not norm:
        return reading
    nlp = _nlp()
    with _LOCK:  # spaCy pipelines are not documented as thread-safe
        _apply_context(nlp, lexicon, norm, spans, reading)
    reading.mentions = _propagate_lists(norm, reading.mentions)
    return reading


def clear_reading_memos() -> None:
    """Forget the memoised readings (``read`` and the normalisation and quantities under it).

    They are sized for answering, where the same sentences return question after question; a
    caller that reads each text once (an ingest) clears them per document so they never grow
    with the corpus. Kept here, beside the memo tables, so a new one is not forgotten.
    """
    for memo in (read, normalize, find_quantities):
        memo.cache_clear()


_LIST_GAP = re.compile(
    r"^(?:\s*,\s*|\s*,?\s*(?:and|or|and/or)\s+|\s*/\s*|\s*,?\s*(?:such as|including)\s+)(?:an?\s+|the\s+|of\s+)?$"
)
_FLAGS = ("negated", "failed", "ongoing", "positive", "historical")


def _propagate_lists(text: str, mentions: list[Mention]) -> list[Mention]:
    """Items of one coordinated list share what ConText said of its first item.

    "no fracture, mass, infection or significant scoliosis", "despite PT, NSAIDs and a home
    exercise program", "thigh thrust, compression and Gaenslen tests are positive": ConText's
    scope can stop inside such a list (a terminator, a window); a list is one statement.
    """
    out = list(mentions)
    i = 0
    while i < len(out):
        j = i
        while (
            j + 1 < len(out) and out[j + 1].kind == out[i].kind and _LIST_GAP.match(text[out[j].end : out[j + 1].start])
        ):
            j += 1
        if j > i:
            # Absent-terms ("non-radiating", "no red flags") speak for themselves only: they neither give
            # their negation to the list nor take the list's.
            group = [m for m in out[i : j + 1] if not m.by_term]
            merged = {f: any(getattr(m, f) for m in group) for f in _FLAGS}
            for k in range(i, j + 1):
                if out[k].by_term:
                    continue
                # only the bool flags named in _FLAGS are replaced
                flags: dict[str, Any] = {f: getattr(out[k], f) or merged[f] for f in _FLAGS}
                out[k] = replace(out[k], **flags)
        i = j + 1
    return out


def _apply_context(
    nlp: Any, lexicon: Lexicon, norm: str, spans: list[tuple[int, int, str, bool]], reading: Reading
) -> None:
    """Run ConText over the matched spans and record each mention with its assertions."""
    doc = nlp.make_doc(norm)
    ents: list[Span] = []
    owners: dict[tuple[int, int], tuple[str, bool]] = {}
    for start, end, cid, absent in spans:
        span = doc.char_span(start, end, label=LABELS[lexicon.concepts[cid].kind], alignment_mode="expand")
        if span is None or any(span.start < e.end and e.start < span.end for e in ents):
            continue
        ents.append(span)
        owners[(span.start_char, span.end_char)] = (cid, absent)
    doc.ents = ents
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    reading.sentences = [(s.start_char, s.end_char) for s in doc.sents]
    for ent in doc.ents:
        cid, absent = owners[(ent.start_char, ent.end_char)]
        categories = {mod.category for mod in ent._.modifiers if not _crosses_predicate(doc, mod, ent)}
        reading.mentions.append(
            Mention(
                concept=cid,
                kind=lexicon.concepts[cid].kind,
                start=ent.start_char,
                end=ent.end_char,
                text=ent.text,
                negated=absent or "NEGATED_EXISTENCE" in categories,
                by_term=absent,
                historical="HISTORICAL" in categories,
                hypothetical="HYPOTHETICAL" in categories,
                family="FAMILY" in categories,
                possible="POSSIBLE_EXISTENCE" in categories,
                failed="FAILED" in categories,
                ongoing="ONGOING" in categories,
                positive="POSITIVE" in categories,
            )
        )
