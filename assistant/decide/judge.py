"""Judge compiled rules against typed patient facts: met, not met or unknown, never by shared words.

A rule decides only when it applies: its scope covers the asked service (the same concept or a
narrower one) with compatible modifiers (initial / repeat, diagnostic / therapeutic, thermal /
pulsed, trial / permanent, region), and its trigger, if any, holds. A typed condition is then
evaluated in three-valued logic over :class:`~assistant.clinical.records.ClinicalFacts`: every
``met`` or ``not_met`` names the facts that decided it; anything the question does not state
stays ``unknown``. Plain records in, plain records out: no store, no model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.clinical.records import (
    ABSENT,
    FAILED,
    HISTORICAL,
    NOT_TRIED,
    ONGOING,
    POSSIBLE,
    PRESENT,
    Ask,
    ClinicalFacts,
    Event,
    Finding,
)
from core.lexicon import Lexicon, load_lexicon
from core.rules import CompiledRule, Cond
from core.rules_text import CMP, months_text

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"
_OPS = {
    "ge": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "le": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
}
COMPATIBLE_SEQUENCE = {"second": {"second", "repeat"}, "repeat": {"repeat", "second"}, "initial": {"initial"}}
EXAMPLES_RULED_OUT = 0.6  # share of a policy's own "such as" examples the question must rule out (none present)


@dataclass
class Outcome:
    status: str
    reason: str = ""
    facts: list[str] = field(default_factory=list)


@dataclass
class Judgement:
    rule: CompiledRule
    status: str  # for an exclusion: not_met means the exclusion applies
    reason: str
    facts: list[str]
    applies: str = "yes"  # "yes" | "maybe" (its trigger is not settled)


def _unknown(reason: str = "the question does not say") -> Outcome:
    return Outcome(UNKNOWN, reason)


class Judge:
    def __init__(
        self, facts: ClinicalFacts, ask: Ask, lexicon: Lexicon | None = None, *, lenient_findings: bool = False
    ):
        self.facts = facts
        self.ask = ask
        self.lexicon = lexicon or load_lexicon()
        # Recommendations speak of populations ("suspected cancer", "after prior surgery"): a possible
        # or past finding counts there, never for a coverage requirement.
        self.lenient = lenient_findings
        self.groups: dict[str, list[CompiledRule]] = {}
        self.axis_values: dict[str, set[str]] = {}  # per modifier axis, every value the document's rules name

    def know(self, rules: list[CompiledRule]) -> None:
        """The document the judge reads: its groups (for "the general criteria above") and modifier values."""
        for r in rules:
            self.groups.setdefault(r.scope.group, []).append(r)
            for axis, values in r.scope.modifiers.items():
                self.axis_values.setdefault(axis, set()).update(values)

    # ------------------------------------------------------------------ applicability
    def covers(self, rule: CompiledRule) -> bool | None:
        """Whether the rule's scope covers the ask: True, False, or None when a modifier is unstated."""
        ask = self.ask
        by_code = not rule.scope.services and bool({c.upper() for c in ask.codes} & set(rule.scope.codes))
        if not by_code and not any(self.lexicon.is_a(ask.service, s) for s in rule.scope.services):
            return False
        unsure = False
        for axis, values in rule.scope.modifiers.items():
            if not values:
                continue
            value = ask.modifiers.get(axis)
            if axis == "sequence" and value is None:
                value = "initial"
            if axis == "region":
                value = ask.region or ask.modifiers.get("region")
            if value is None:
                if axis == "contrast" or self.axis_values.get(axis) == set(values):
                    continue  # the document knows one value of this axis: the question need not state it
                unsure = True
                continue
            allowed = set(values)
            if axis == "sequence":
                allowed = set().union(*(COMPATIBLE_SEQUENCE.get(v, {v}) for v in values))
            if axis == "contrast" and value == "both" and "both" not in allowed:
                return False
            if value not in allowed:
                return False
        return None if unsure else True

    def applies(self, rule: CompiledRule) -> str:
        """ "yes", "maybe" (scope or trigger unsettled) or "no"."""
        covers = self.covers(rule)
        if covers is False:
            return "no"
        if rule.trigger is not None:
            trig = self.evaluate(rule.trigger)
            if trig.status == NOT_MET:
                return "no"
            if trig.status == UNKNOWN:
                return "maybe"
        return "yes" if covers else "maybe"

    # ------------------------------------------------------------------ rules
    def judge(self, rule: CompiledRule) -> Judgement:
        applies = self.applies(rule)
        if rule.kind == "not_covered":
            return Judgement(rule, NOT_MET, f"{self._ask_text()} is listed as not covered", [self.ask.text], applies)
        if rule.condition is None:
            return Judgement(rule, UNKNOWN, "no typed condition could be read from this statement", [], applies)
        outcome = self.evaluate(rule.condition)
        if rule.kind == "exclusion":
            if outcome.status == MET:
                return Judgement(rule, NOT_MET, f"applies: {outcome.reason}", outcome.facts, applies)
            if outcome.status == NOT_MET:
                return Judgement(rule, MET, f"does not apply: {outcome.reason}", outcome.facts, applies)
            return Judgement(rule, UNKNOWN, outcome.reason, [], applies)
        return Judgement(
            rule, outcome.status, outcome.reason, outcome.facts if outcome.status != UNKNOWN else [], applies
        )

    def _ask_text(self) -> str:
        return self.lexicon.label(self.ask.service) if self.ask.service in self.lexicon.concepts else self.ask.text

    # ------------------------------------------------------------------ conditions
    def evaluate(self, c: Cond) -> Outcome:
        handler = getattr(self, f"_{c.op}")
        result: Outcome = handler(c)
        return result

    def _all(self, c: Cond) -> Outcome:
        parts = [self.evaluate(i) for i in c.items]
        failed = [p for p in parts if p.status == NOT_MET]
        if failed:
            return Outcome(NOT_MET, failed[0].reason, failed[0].facts)
        if parts and all(p.status == MET for p in parts):
            return Outcome(
                MET, "; ".join(p.reason for p in parts), list(dict.fromkeys(f for p in parts for f in p.facts))
            )
        unknown = [p for p in parts if p.status == UNKNOWN]
        return _unknown(unknown[0].reason if unknown else "the question does not say")

    def _any(self, c: Cond) -> Outcome:
        parts = [self.evaluate(i) for i in c.items]
        met = [p for p in parts if p.status == MET]
        if met:
            return Outcome(MET, met[0].reason, met[0].facts)
        if parts and all(p.status == NOT_MET for p in parts):
            return Outcome(NOT_MET, "; ".join(p.reason for p in parts), [f for p in parts for f in p.facts])
        return _unknown()

    def _not(self, c: Cond) -> Outcome:
        inner = self._all(Cond(op="all", items=c.items)) if len(c.items) != 1 else self.evaluate(c.items[0])
        if inner.status == MET:
            return Outcome(NOT_MET, inner.reason, inner.facts)
        if inner.status == NOT_MET:
            return Outcome(MET, inner.reason, inner.facts)
        return inner

    # findings --------------------------------------------------------
    def _present(self, concept: str) -> list[str]:
        ok = {PRESENT} | ({POSSIBLE, HISTORICAL} if self.lenient else set())

        def counts(f: Finding) -> bool:
            entry = self.lexicon.concepts.get(f.concept)
            return f.status in ok or (f.status == HISTORICAL and entry is not None and entry.chronic)

        out = [f.text for f in self.facts.findings if counts(f) and self.lexicon.is_a(f.concept, concept)]
        for name, cmp, value in _DEFINED_BY_MEASURE.get(concept, ()):
            m = self.facts.measure(name)
            if m is not None and _OPS[cmp](m.value, value):
                out.append(m.text)
        return out

    def _absent(self, concept: str) -> list[str]:
        return [f.text for f in self.facts.findings if f.status == ABSENT and self.lexicon.is_a(concept, f.concept)]

    def _finding(self, c: Cond) -> Outcome:
        lexicon = self.lexicon
        concepts = c.concepts
        examples = [e for e in c.examples if e not in concepts]
        present = [(x, t) for x in concepts + examples for t in self._present(x)]
        label = " or ".join(lexicon.label(x) for x in concepts)
        if c.want == "present":
            if present:
                return Outcome(MET, f"{present[0][1]} (requires {label})", [present[0][1]])
            absent = [(x, self._absent(x)) for x in concepts]
            if absent and all(a for _, a in absent):
                said = absent[0][1][0]
                return Outcome(NOT_MET, f"the question rules out {lexicon.label(absent[0][0])} ({said})", [said])
            return _unknown(f"the question does not say whether there is {label}")
        # want absent
        if present:
            return Outcome(NOT_MET, f"{present[0][1]} (requires no {label})", [present[0][1]])
        absent = [(x, self._absent(x)) for x in concepts]
        if all(a for _, a in absent):
            said = absent[0][1][0]
            return Outcome(MET, f"no {lexicon.label(absent[0][0])} ({said})", [said])
        if examples:
            ruled_out = [(x, self._absent(x)) for x in examples]
            named = [t[0] for _, t in ruled_out if t]
            if len(named) >= max(1, round(EXAMPLES_RULED_OUT * len(examples))):
                return Outcome(
                    MET,
                    f"the question rules out {len(named)} of the {len(examples)} listed "
                    f"({', '.join(dict.fromkeys(named))})",
                    named,
                )
        for x in concepts:
            narrower = [f for f in self.facts.findings if f.excluded and f.concept != x and lexicon.is_a(f.concept, x)]
            if len(narrower) >= 2:
                texts = [f.text for f in narrower]
                return Outcome(MET, f"the question says {', '.join(texts)} were excluded", texts)
        return _unknown(f"the question does not say whether there is {label}")

    # treatments --------------------------------------------------------
    def _treatment(self, c: Cond) -> Outcome:
        lexicon = self.lexicon
        matching = [t for t in self.facts.treatments if any(lexicon.is_a(t.concept, x) for x in c.concepts)]
        label = " or ".join(lexicon.label(x) for x in c.concepts)
        tried = [t for t in matching if t.status != NOT_TRIED]
        failed = [t for t in matching if t.status == FAILED]
        not_tried = [t for t in matching if t.status == NOT_TRIED]
        # A negated course with a stated length ("did not lose weight in a 12-month program", "has not
        # completed 6 weeks of PT") speaks of a course that was, at least in part, undertaken: the
        # negation may belong to its outcome, not to the course, so it settles neither side.
        ambiguous = [t for t in not_tried if t.months is not None]
        if ambiguous and not tried and len(ambiguous) == len(not_tried):
            return _unknown(
                f"{ambiguous[0].text}: the question gives the course a length but negates it, "
                "so whether it was tried is not settled"
            )
        threshold = f" for {CMP[c.months_cmp or 'ge']} {months_text(c.months)}" if c.months is not None else ""
        if c.want == "not_tried":
            if tried:
                return Outcome(NOT_MET, f"{tried[0].text} was tried", [tried[0].text])
            if not_tried:
                return Outcome(MET, f"{not_tried[0].text} not yet tried", [not_tried[0].text])
            return _unknown()
        if not matching:
            return _unknown(f"the question does not say whether {label} was tried{threshold}")
        if not tried:
            return Outcome(
                NOT_MET, f"{not_tried[0].text} not yet tried (requires {label}{threshold})", [not_tried[0].text]
            )
        if c.want == "recent":
            current = [t for t in matching if t.status in (FAILED, ONGOING)]
            if current:
                return Outcome(
                    MET,
                    f"{current[0].text} "
                    f"{'has failed' if current[0].status == FAILED else 'continues'} (a current course)",
                    [current[0].text],
                )
            return _unknown(f"the question does not say when {label} was tried")
        if c.want == "ongoing":
            ongoing = [t for t in matching if t.status == ONGOING]
            if ongoing:
                return Outcome(MET, f"{ongoing[0].text} continues", [ongoing[0].text])
            return _unknown(f"the question does not say whether {label} continues alongside")
        pool = failed if c.want == "failed" else tried
        months = [t.months for t in (pool or tried) if t.months is not None]
        if c.months is not None and months:
            longest = max(months)
            ok = _OPS[c.months_cmp or "ge"](longest + 1e-9, c.months)
            said = f"{(pool or tried)[0].text} for {months_text(longest)}"
            if not ok and (pool or any(t.complete for t in tried)):
                return Outcome(NOT_MET, f"{said} (requires {label}{threshold})", [said])
            if ok and pool:
                return Outcome(
                    MET, f"{said} {'failed' if c.want == 'failed' else 'tried'} (requires{threshold})", [said]
                )
            return _unknown(f"{said}: the question does not say whether it failed")
        if pool and c.months is None:
            verb = "failed" if c.want == "failed" else "tried"
            return Outcome(MET, f"{pool[0].text} {verb}", [pool[0].text])
        if pool:
            return _unknown(
                f"{pool[0].text} {'failed' if c.want == 'failed' else 'tried'}, "
                f"but for how long is not stated (requires{threshold})"
            )
        return _unknown(f"{tried[0].text} was tried; the question does not say it failed")

    # measures --------------------------------------------------------
    def _measure(self, c: Cond) -> Outcome:
        name = c.measure
        assert c.value is not None and c.cmp is not None
        m = self.facts.measure(name)
        if m is None and name in _MEASURE_BY_FINDING:
            concept, _cmp, value = _MEASURE_BY_FINDING[name]
            seen = self._present(concept)
            if seen and _OPS[c.cmp](value, c.value):
                return Outcome(MET, f"{seen[0]} (shows an acute or subacute fracture)", [seen[0]])
        if name == "nicotine_free_months" and m is None:
            smoking = [f for f in self.facts.findings if f.concept == "nicotine_use"]
            current = [f for f in smoking if f.status == PRESENT]
            never = [f for f in smoking if f.status == ABSENT]
            if current:
                return Outcome(
                    NOT_MET,
                    f"{current[0].text} (requires nicotine-free {CMP[c.cmp]} {months_text(c.value)})",
                    [current[0].text],
                )
            if never:
                return Outcome(MET, f"{never[0].text}", [never[0].text])
        if m is None:
            return _unknown(f"the question gives no {name.replace('_', ' ')}")
        holds = _OPS[c.cmp](m.value, c.value)
        if m.bound == "ge" and not holds and c.cmp in ("ge", "gt"):
            return _unknown(f"{m.text}: at least {m.value:g}, not enough to judge")
        if m.bound == "le" and not holds and c.cmp in ("le", "lt"):
            return _unknown(f"{m.text}: at most {m.value:g}, not enough to judge")
        want = f"{CMP[c.cmp]} {months_text(c.value) if name.endswith('months') else format(c.value, 'g')}"
        return Outcome(MET if holds else NOT_MET, f"{m.text} (requires {name.replace('_', ' ')} {want})", [m.text])

    # prior procedures --------------------------------------------------------
    def _events(self, c: Cond) -> tuple[list[Event], list[Event]]:
        wanted = dict(kv.split("=", 1) for kv in c.axis.split(",") if "=" in kv)

        def fits(e: Event) -> bool:
            if not any(self.lexicon.is_a(e.service, x) or self.lexicon.is_a(x, e.service) for x in c.concepts):
                return False
            return all(e.modifiers.get(k, v) == v for k, v in wanted.items())

        done = [e for e in self.facts.events if fits(e) and not e.negated]
        undone = [e for e in self.facts.events if fits(e) and e.negated]
        return done, undone

    def _prior(self, c: Cond) -> Outcome:
        done, undone = self._events(c)
        label = " or ".join(self.lexicon.label(x) for x in c.concepts)
        if not done:
            if undone:
                return Outcome(NOT_MET, f"{undone[0].text} (requires a prior {label})", [undone[0].text])
            return _unknown(f"the question does not say whether there was a prior {label}")
        if c.same_level:
            asked = self.ask.segments
            at_level = [e for e in done if e.segments and asked and (e.segments & asked)]
            if (not asked or any(not e.segments for e in done)) and not at_level:
                return _unknown("the question does not say at which levels")
            if not at_level:
                e = done[0]
                return Outcome(
                    NOT_MET,
                    f"{e.text}: {', '.join(sorted(e.segments))} is not the level treated ({', '.join(sorted(asked))})",
                    [e.text],
                )
            done = at_level
        reliefs = [r for e in done for r in e.reliefs]
        count = sum(e.count or len(e.reliefs) or 0 for e in done) if all(e.count or e.reliefs for e in done) else None
        said = done[-1].text
        checks: list[Outcome] = []
        if c.same_level and self.ask.levels_assumed:
            checks.append(Outcome(MET, f"the request names no level: read as {self.ask.levels_assumed}", [said]))
        if c.count:
            if count is None and c.count <= 1:
                count = len(done)  # "a prior fusion": one stated is enough, however many there were
            if count is not None and count < c.count:
                checks.append(Outcome(NOT_MET, f"{count} {label} (requires at least {c.count})", [said]))
            elif count is not None:
                checks.append(Outcome(MET, f"{count} {label}", [said]))
            else:
                checks.append(_unknown(f"how many {label} is not stated"))
        if c.relief is not None:
            cmp = c.relief_cmp or "ge"
            if not reliefs:
                checks.append(_unknown(f"the relief from the prior {label} is not stated"))
            else:
                bad = [r for r in reliefs if not _OPS[cmp](r, c.relief)]
                need = c.count or 1
                text = " and ".join(f"{r:g}%" for r in reliefs)
                if bad:
                    checks.append(
                        Outcome(
                            NOT_MET,
                            f"{label} gave {text}; requires {'each ' if need > 1 else ''}{CMP[cmp]} {c.relief:g}%",
                            [said],
                        )
                    )
                elif len(reliefs) >= need or (count is not None and count >= need and len(set(reliefs)) == 1):
                    checks.append(
                        Outcome(
                            MET,
                            f"{label} gave {text}; requires {'each ' if need > 1 else ''}{CMP[cmp]} {c.relief:g}%",
                            [said],
                        )
                    )
                else:
                    checks.append(_unknown(f"only {text} relief is stated for {need} {label}"))
        if c.measure == "functional" and c.value is not None:
            values = [e.functional for e in done if e.functional is not None]
            if values:
                checks.append(
                    Outcome(
                        MET if _OPS[c.cmp or "ge"](max(values), c.value) else NOT_MET,
                        f"functional improvement {max(values):g}% (requires {CMP[c.cmp or 'ge']} {c.value:g}%)",
                        [said],
                    )
                )
            else:
                checks.append(_unknown("functional improvement after the prior procedure is not stated"))
        if c.months is not None:
            lasted = [e.relief_months for e in done if e.relief_months is not None]
            if lasted:
                ok = _OPS[c.months_cmp or "ge"](max(lasted) + 1e-9, c.months)
                checks.append(
                    Outcome(
                        MET if ok else NOT_MET,
                        f"relief lasted {months_text(max(lasted))} "
                        f"(requires {CMP[c.months_cmp or 'ge']} {months_text(c.months)})",
                        [said],
                    )
                )
            else:
                checks.append(_unknown("how long the relief lasted is not stated"))
        if c.ago_months is not None:
            agos = [e.months_ago for e in done if e.months_ago is not None]
            if agos:
                latest = min(agos)
                ok = _OPS[c.ago_cmp or "ge"](
                    latest + 1e-9 if (c.ago_cmp or "ge") in ("ge", "gt") else latest, c.ago_months
                )
                checks.append(
                    Outcome(
                        MET if ok else NOT_MET,
                        f"the prior {label} was {months_text(latest)} ago "
                        f"(requires {CMP[c.ago_cmp or 'ge']} {months_text(c.ago_months)})",
                        [said],
                    )
                )
            else:
                checks.append(_unknown(f"when the prior {label} was done is not stated"))
        if c.consecutive:
            if any(e.consecutive for e in done) or (count is not None and count >= 2 and len(done) == 1):
                checks.append(Outcome(MET, f"{said}", [said]))
            else:
                checks.append(_unknown("whether the blocks were in a row at the same level is not stated"))
        if not checks:
            return Outcome(MET, f"prior {label}: {said}", [said])
        return self._all_outcomes(checks)

    @staticmethod
    def _all_outcomes(parts: list[Outcome]) -> Outcome:
        failed = [p for p in parts if p.status == NOT_MET]
        if failed:
            return failed[0]
        if all(p.status == MET for p in parts):
            return Outcome(
                MET, "; ".join(p.reason for p in parts), list(dict.fromkeys(f for p in parts for f in p.facts))
            )
        return next(p for p in parts if p.status == UNKNOWN)

    # counts, levels, sessions, modifiers ------------------------------------
    def _count(self, c: Cond) -> Outcome:
        assert c.count is not None
        pool = list(dict.fromkeys(c.examples or []))
        explicit = (
            self.facts.measure("positive_tests")
            if any(self.lexicon.is_a(x, "si_provocative_test") for x in [*c.concepts, *pool])
            else None
        )
        if explicit is not None:
            n = int(explicit.value)
            if n >= c.count:
                return Outcome(MET, f"{explicit.text} positive (requires at least {c.count})", [explicit.text])
            if self.facts.only_positive_tests:
                return Outcome(
                    NOT_MET, f"only {n} positive ({explicit.text}); requires at least {c.count}", [explicit.text]
                )
            negatives = [
                f
                for f in self.facts.findings
                if f.status == ABSENT
                and self.lexicon.concepts.get(f.concept, None) is not None
                and self.lexicon.concepts[f.concept].kind == "test"
            ]
            listed = len(pool) if pool else None
            if listed is not None and n + (listed - n - len(negatives)) < c.count:
                return Outcome(
                    NOT_MET,
                    f"{n} positive and {len(negatives)} negative (requires at least {c.count})",
                    [explicit.text],
                )
            return _unknown(f"{n} positive stated; at least {c.count} required")
        concepts = pool or list(c.concepts)
        present: list[str] = []
        for x in concepts:
            hits = self._present(x) if x not in c.concepts or pool else []
            if not pool:
                hits = [f.text for f in self.facts.findings if f.status == PRESENT and self.lexicon.is_a(f.concept, x)]
            present += hits[:1] if pool else hits
        present = list(dict.fromkeys(present))
        if len(present) >= c.count:
            return Outcome(MET, f"{', '.join(present)} (requires at least {c.count})", present)
        absent = [x for x in concepts if self._absent(x)]
        if pool and len(pool) - len(absent) < c.count:
            return Outcome(
                NOT_MET,
                f"only {len(present)} of the listed findings (requires at least {c.count})",
                present or [absent[0]],
            )
        return _unknown(f"{len(present)} stated; at least {c.count} required")

    def _levels(self, c: Cond) -> Outcome:
        assert c.count is not None
        n = self.ask.level_count
        if n is None:
            n = len([s for s in self.ask.segments if "-" in s]) or None
        if n is None:
            return _unknown("the number of levels is not stated")
        ok = _OPS[c.cmp or "le"](n, c.count)
        return Outcome(MET if ok else NOT_MET, f"{n} level(s) (limit {c.count} per session)", [self.ask.text])

    def _sessions(self, c: Cond) -> Outcome:
        assert c.count is not None
        m = self.facts.measure("sessions_12m")
        if m is not None:
            ok = _OPS[c.cmp or "le"](m.value, c.count)
            return Outcome(
                MET if ok else NOT_MET, f"{m.text} (limit {c.count} per {months_text(c.months or 12)})", [m.text]
            )
        intent = self.ask.modifiers.get("intent")
        same = [
            e
            for e in self.facts.events
            if not e.negated
            and self.lexicon.is_a(e.service, self.ask.service)
            and e.modifiers.get("intent", intent) == intent
        ]
        if self.ask.modifiers.get("sequence", "initial") == "initial" and not same:
            return Outcome(
                MET, f"a first {self._ask_text()} (limit {c.count} per {months_text(c.months or 12)})", [self.ask.text]
            )
        return _unknown("how many sessions in the last 12 months is not stated")

    def _modifier(self, c: Cond) -> Outcome:
        value = self.ask.modifiers.get(c.axis)
        if value is None:
            return _unknown(f"the {c.axis} is not stated")
        values = set(c.values)
        if c.axis == "guidance" and value == "imaging" and not ({"imaging"} & values):
            return _unknown("imaging guidance is stated, but not which modality")
        inside = value in values
        holds = inside if c.want != "not_in" else not inside
        return Outcome(
            MET if holds else NOT_MET,
            f"{c.axis} {value} (requires {'not ' if c.want == 'not_in' else ''}{' or '.join(c.values)})",
            [f"{c.axis}: {value}"],
        )

    def _ref(self, c: Cond) -> Outcome:
        rules = [
            r
            for r in self.groups.get(c.group, [])
            if r.kind == "requirement" and r.condition is not None and r.condition.op != "ref"
        ]
        if not rules:
            return _unknown(f"the criteria of “{c.group}” could not be read")
        parts = [self.judge(r) for r in rules]
        return self._all_outcomes([Outcome(p.status, p.reason, p.facts) for p in parts])


# Concepts a measured value defines (older age: 65 years or more, as NIH and WHO define older adults).
# Measures a finding settles: bone marrow edema (or bone scan uptake) shows an acute or subacute fracture,
# as the PVA LCD defines acuity ("its acuity should be shown on advanced imaging, such as bone marrow edema").
_MEASURE_BY_FINDING: dict[str, tuple[str, str, float]] = {"fracture_age_months": ("bone_marrow_edema", "le", 3.0)}
# A pain or disability scale is "documented" when the question gives a score on one.
_DEFINED_BY_MEASURE: dict[str, tuple[tuple[str, str, float], ...]] = {
    "older_age": (("age", "ge", 65.0),),
    "scale_score": (("pain_score", "ge", 0.0), ("disability_score", "ge", 0.0), ("rdq", "ge", 0.0)),
}
