"""The clinical vocabulary as data: concepts, services, modifiers, anatomy, shorthand, ConText rules.

Questions and policy sentences are read with the same vocabulary, so a criterion and a patient
fact meet on a concept id ("radicular_symptoms"), never on a shared word. Every entry lives in a
YAML file beside this module and names a public source from ``sources.yaml``; nothing here is
vocabulary written for one question. :func:`load_lexicon` reads the files once per process.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from core.codes import expand_code_list

DATA_DIR = Path(__file__).resolve().parent


def _digest() -> str:
    """A hash of every vocabulary file: ingest re-compiles documents when the vocabulary changes."""
    h = hashlib.sha1()
    for path in sorted(DATA_DIR.glob("*.yaml")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


LEXICON_DIGEST = _digest()
KINDS = ("finding", "treatment", "test", "population", "scale", "service")


class LexiconError(ValueError):
    """A vocabulary file is malformed: names the file and the entry."""


@dataclass(frozen=True)
class Concept:
    """One thing a text can name: a finding, treatment, test, population trait, scale or service."""

    id: str
    kind: str
    label: str
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    absent_terms: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()
    src: str = ""
    codes: tuple[str, ...] = ()  # services: CPT/HCPCS codes that bill it
    defaults: dict[str, str] = field(default_factory=dict)  # services: modifier values unless stated
    targets: dict[str, str] = field(default_factory=dict)  # generic actions: anatomic target -> service
    generic: bool = False  # names its service only with a target or a conversation ("the injection")
    chronic: bool = False  # a lasting condition: "history of" it means the patient has it


@dataclass(frozen=True)
class Abbreviation:
    short: str
    long: str
    src: str
    when: str | None = None


@dataclass(frozen=True, eq=False)
class Lexicon:
    concepts: dict[str, Concept]
    modifiers: dict[str, dict[str, tuple[str, ...]]]  # axis -> value -> phrases
    targets: dict[str, Concept]  # anatomic targets of generic actions
    regions: dict[str, tuple[str, ...]]  # spinal region -> phrases
    abbreviations: tuple[Abbreviation, ...]
    context_rules: tuple[dict[str, Any], ...]
    sources: dict[str, dict[str, str]]
    context_drop: tuple[dict[str, Any], ...] = ()

    def ancestors(self, concept_id: str) -> frozenset[str]:
        """The concept and every broader concept above it."""
        return _closure(self, concept_id, up=True)

    def descendants(self, concept_id: str) -> frozenset[str]:
        """The concept and every narrower concept below it."""
        return _closure(self, concept_id, up=False)

    def is_a(self, concept_id: str, other: str) -> bool:
        return other in self.ancestors(concept_id)

    def services_for_code(self, code: str) -> list[str]:
        """Services whose code list holds ``code``, most specific first (fewest codes)."""
        code = code.upper()
        hits = [c for c in self.concepts.values() if c.kind == "service" and code in c.codes]
        return [c.id for c in sorted(hits, key=lambda c: (len(c.codes), c.id))]

    def label(self, concept_id: str) -> str:
        concept = self.concepts.get(concept_id)
        return concept.label if concept else concept_id.replace("_", " ")


_CLOSURES: dict[tuple[int, str, bool], frozenset[str]] = {}


def _closure(lexicon: Lexicon, start: str, *, up: bool) -> frozenset[str]:
    key = (id(lexicon), start, up)
    if key in _CLOSURES:
        return _CLOSURES[key]
    children: dict[str, set[str]] = {}
    if not up:
        for c in lexicon.concepts.values():
            for b in c.broader:
                children.setdefault(b, set()).add(c.id)
    seen = {start}
    todo = [start]
    while todo:
        current = todo.pop()
        nxt = (
            set(lexicon.concepts[current].broader)
            if up and current in lexicon.concepts
            else children.get(current, set())
        )
        for n in nxt - seen:
            seen.add(n)
            todo.append(n)
    result = frozenset(seen)
    _CLOSURES[key] = result
    return result


def _read(name: str) -> dict[str, Any]:
    path = DATA_DIR / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: expected a mapping at the top level")
    return data


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise LexiconError(f"{where}: expected a list of phrases")
    return tuple(str(v).strip().lower() for v in value if str(v).strip())


def _concept(cid: str, raw: dict[str, Any], kind: str | None, where: str) -> Concept:
    if not isinstance(raw, dict):
        raise LexiconError(f"{where}: entry {cid!r} must be a mapping")
    kind = kind or str(raw.get("kind", ""))
    if kind not in KINDS:
        raise LexiconError(f"{where}: entry {cid!r} has unknown kind {kind!r}")
    for pattern in raw.get("patterns", []) or []:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise LexiconError(f"{where}: entry {cid!r} pattern {pattern!r}: {exc}") from exc
    return Concept(
        id=cid,
        kind=kind,
        label=str(raw.get("label", cid.replace("_", " "))),
        terms=_strings(raw.get("terms"), f"{where}:{cid}.terms"),
        patterns=tuple(raw.get("patterns", []) or []),
        absent_terms=_strings(raw.get("absent_terms"), f"{where}:{cid}.absent_terms"),
        broader=tuple(raw.get("broader", []) or []),
        src=str(raw.get("src", "")),
        codes=tuple(expand_code_list([str(c) for c in raw.get("codes", []) or []])),
        defaults={str(k): str(v) for k, v in (raw.get("defaults") or {}).items()},
        targets={str(k): str(v) for k, v in (raw.get("targets") or {}).items()},
        generic="targets" in raw,
        chronic=bool(raw.get("chronic", False)),
    )


@cache
def load_lexicon() -> Lexicon:
    """Read and check every vocabulary file (once per process)."""
    sources = _read("sources.yaml").get("sources", {})
    concepts: dict[str, Concept] = {}
    for cid, raw in (_read("concepts.yaml").get("concepts") or {}).items():
        concepts[cid] = _concept(cid, raw, None, "concepts.yaml")
    for cid, raw in (_read("services.yaml").get("services") or {}).items():
        if cid in concepts:
            raise LexiconError(f"services.yaml: {cid!r} is also a concept in concepts.yaml")
        concepts[cid] = _concept(cid, raw, "service", "services.yaml")
    modifiers: dict[str, dict[str, tuple[str, ...]]] = {}
    modifier_sources: dict[str, str] = {}
    for axis, raw in (_read("modifiers.yaml").get("modifiers") or {}).items():
        modifiers[axis] = {v: _strings(t, f"modifiers.yaml:{axis}.{v}") for v, t in raw["values"].items()}
        modifier_sources[axis] = str(raw.get("src", ""))
    anatomy = _read("anatomy.yaml")
    targets = {
        tid: Concept(
            id=tid,
            kind="finding",
            label=tid.replace("_", " "),
            terms=_strings(raw.get("terms"), f"anatomy.yaml:{tid}"),
            patterns=tuple(raw.get("patterns", []) or []),
            src=str(raw.get("src", "")),
        )
        for tid, raw in (anatomy.get("targets") or {}).items()
    }
    regions = {r: _strings(raw.get("terms"), f"anatomy.yaml:{r}") for r, raw in (anatomy.get("regions") or {}).items()}
    abbreviations = tuple(
        Abbreviation(str(a["short"]).lower(), str(a["long"]).lower(), str(a.get("src", "")), a.get("when"))
        for a in _read("abbreviations.yaml").get("abbreviations", [])
    )
    context = _read("context.yaml")
    rules = tuple(context.get("rules", []))
    lexicon = Lexicon(
        concepts, modifiers, targets, regions, abbreviations, rules, sources, tuple(context.get("drop_default", []))
    )
    _check(lexicon, modifier_sources)
    return lexicon


def _check(lexicon: Lexicon, modifier_sources: dict[str, str]) -> None:
    """Refuse dangling references: a broader id, a service target or a source that does not exist."""
    known = lexicon.sources
    entries: list[tuple[str, str]] = [(c.id, c.src) for c in lexicon.concepts.values()]
    entries += [(t.id, t.src) for t in lexicon.targets.values()]
    entries += [(f"abbreviation {a.short}", a.src) for a in lexicon.abbreviations]
    entries += [(f"modifier axis {axis}", src) for axis, src in modifier_sources.items()]
    entries += [(f"context rule {r.get('literal')}", str(r.get("src", ""))) for r in lexicon.context_rules]
    for name, src in entries:
        if src not in known:
            raise LexiconError(f"{name}: source {src!r} is not listed in sources.yaml")
    for c in lexicon.concepts.values():
        for b in c.broader:
            if b not in lexicon.concepts:
                raise LexiconError(f"{c.id}: broader concept {b!r} does not exist")
        for target, service in c.targets.items():
            if target not in lexicon.targets or service not in lexicon.concepts:
                raise LexiconError(f"{c.id}: target {target!r} -> {service!r} does not resolve")
