"""Typed conditions in words a physician reads ("≥ 2 medial branch block, each ≥ 80% relief")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lexicon import load_lexicon

if TYPE_CHECKING:
    from core.rules import Cond

CMP = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
MEASURES = {
    "pain_months": ("pain for", "months"),
    "pain_score": ("pain score", "/10"),
    "disability_score": ("disability score", "%"),
    "rdq": ("RDQ score", ""),
    "bmi": ("BMI", ""),
    "a1c": ("HbA1c", "%"),
    "height_loss": ("vertebral height loss", "%"),
    "age": ("age", "years"),
    "nicotine_free_months": ("nicotine-free for", "months"),
    "fracture_age_months": ("fracture age", "months"),
}


def months_text(months: float) -> str:
    if months >= 12 and abs(months / 12 - round(months / 12)) < 0.05:
        years = round(months / 12)
        return f"{years} year" + ("s" if years != 1 else "")
    if months < 2.5:
        weeks = round(months * 4.345)
        return f"{weeks} week" + ("s" if weeks != 1 else "")
    return f"{months:.3g} months"


def _names(ids: list[str]) -> str:
    lexicon = load_lexicon()
    return " or ".join(lexicon.label(i) for i in ids)


def describe(c: Cond) -> str:
    op = c.op
    if op in ("all", "any"):
        joiner = " and " if op == "all" else " or "
        return joiner.join(describe(i) for i in c.items)
    if op == "not":
        return "not (" + " and ".join(describe(i) for i in c.items) + ")"
    if op == "finding":
        names = _names(c.concepts + [e for e in c.examples if e not in c.concepts])
        return ("no " if c.want == "absent" else "") + names
    if op == "treatment":
        verb = "failed" if c.want == "failed" else "tried"
        span = f" for {CMP[c.months_cmp or 'ge']} {months_text(c.months)}" if c.months is not None else ""
        return f"{verb} {_names(c.concepts)}{span}"
    if op == "measure":
        name, unit = MEASURES.get(c.measure, (c.measure, ""))
        value = months_text(c.value) if unit == "months" and c.value is not None else f"{c.value:g}{unit}"
        return f"{name} {CMP[c.cmp or 'ge']} {value}"
    if op == "prior":
        parts = [f"{'≥ ' + str(c.count) + ' ' if c.count else ''}prior {_names(c.concepts)}"]
        if c.relief is not None:
            parts.append(f"{'each ' if (c.count or 1) > 1 else ''}{CMP[c.relief_cmp or 'ge']} {c.relief:g}% relief")
        if c.months is not None:
            parts.append(f"relief lasting {CMP[c.months_cmp or 'ge']} {months_text(c.months)}")
        if c.ago_months is not None:
            parts.append(f"{CMP[c.ago_cmp or 'ge']} {months_text(c.ago_months)} ago")
        if c.same_level:
            parts.append("at the treated level")
        if c.consecutive:
            parts.append("in a row at the same level")
        return ", ".join(parts)
    if op == "count":
        return f"{CMP[c.cmp or 'ge']} {c.count} of {_names(c.concepts or c.examples)}"
    if op == "levels":
        return f"{CMP[c.cmp or 'le']} {c.count} level(s) per session"
    if op == "sessions":
        window = f" per {months_text(c.months)}" if c.months else ""
        return f"{CMP[c.cmp or 'le']} {c.count} session(s){window}"
    if op == "modifier":
        verb = "not " if c.want == "not_in" else ""
        return f"{c.axis} {verb}{' or '.join(c.values)}"
    if op == "ref":
        return f"all criteria of “{c.group}”"
    return c.text
