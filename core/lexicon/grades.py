"""How strongly a guideline statement recommends what it names: for, conditional, against, insufficient.

The vocabulary is data (``grades.yaml``): wording gives the direction ("should", "is not
recommended", "insufficient evidence"), grades and phrases give the certainty ("Grade 2B", "Class
IIb", "weak recommendation", "suggest"). Precedence follows what the statement tells a physician:
an insufficient-evidence statement is ``insufficient``; any statement against the service is
``against``; a statement for it is ``conditional`` when it is marked weak, else ``for``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

import yaml

from core.lexicon import DATA_DIR, LexiconError, load_lexicon

Strength = Literal["for", "conditional", "against", "insufficient"]


@dataclass(frozen=True)
class GradeCue:
    pattern: re.Pattern[str]
    direction: str | None
    certainty: str | None
    src: str


@cache
def grade_cues() -> tuple[GradeCue, ...]:
    """The cues of grades.yaml, each checked: a valid pattern, a known value and a listed source."""
    raw = yaml.safe_load((DATA_DIR / "grades.yaml").read_text(encoding="utf-8")) or {}
    sources = load_lexicon().sources
    cues = []
    for i, entry in enumerate(raw.get("grades") or []):
        where = f"grades.yaml entry {i + 1}"
        direction, certainty = entry.get("direction"), entry.get("certainty")
        if direction not in (None, "for", "against", "insufficient") or certainty not in (None, "strong", "weak"):
            raise LexiconError(f"{where}: direction must be for/against/insufficient and certainty strong/weak")
        if not (direction or certainty):
            raise LexiconError(f"{where}: sets neither a direction nor a certainty")
        if entry.get("src") not in sources:
            raise LexiconError(f"{where}: source {entry.get('src')!r} is not in sources.yaml")
        try:
            pattern = re.compile(str(entry["pattern"]), re.I)
        except re.error as exc:
            raise LexiconError(f"{where}: bad pattern: {exc}") from exc
        cues.append(GradeCue(pattern, direction, certainty, str(entry["src"])))
    return tuple(cues)


def strength_of(text: str) -> Strength | None:
    """The strength a statement gives what it recommends, or None when it recommends nothing."""
    directions: set[str] = set()
    certainties: set[str] = set()
    for cue in grade_cues():
        if cue.pattern.search(text):
            if cue.direction:
                directions.add(cue.direction)
            if cue.certainty:
                certainties.add(cue.certainty)
    if "insufficient" in directions:
        return "insufficient"
    if "against" in directions:
        return "against"
    if "for" in directions:
        return "conditional" if "weak" in certainties and "strong" not in certainties else "for"
    return None
