"""Which graded recommendation of a guideline a question asks about, when no concept types its service.

A guideline in any format ("Intravenous alemtuzumab should be used as first line therapy for
T-PLL (Grade 1B)") compiles to recommendation rules with a strength but, for a service outside the
clinical vocabulary, no typed scope. Such a question is matched to the statement that names what
it asks: the share of the question's distinctive terms the statement (and, at half weight, its
heading) contains. The verdict is the statement's strength, said as such; nothing here judges
patient facts, so no criterion is ever marked met by it. Plain records in, plain records out.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.rules import CompiledRule
from core.textnorm import terms

MIN_COVERAGE = 0.6  # share of the question's distinctive terms the statement must contain
MIN_SHARED = 2  # and at least this many of them in the statement itself
HEADING_WEIGHT = 0.5


@dataclass(frozen=True)
class StatementMatch:
    rule: CompiledRule
    coverage: float
    shared: int
    rank: int  # the document's retrieval rank, 0 best


def match_statements(wanted: set[str], rules: list[CompiledRule], doc_ranks: dict[str, int]) -> list[StatementMatch]:
    """Graded recommendations that name what the question asks, best first (empty when none does)."""
    if not wanted:
        return []
    out: list[StatementMatch] = []
    for rule in rules:
        if rule.kind != "recommendation" or rule.strength is None:
            continue
        own = set(terms(rule.text))
        heading = set(terms(rule.section.split(" › ")[-1])) if rule.section else set()
        shared = wanted & own
        coverage = (len(shared) + HEADING_WEIGHT * len((wanted & heading) - own)) / len(wanted)
        if coverage >= MIN_COVERAGE and len(shared) >= MIN_SHARED:
            out.append(StatementMatch(rule, round(coverage, 4), len(shared), doc_ranks.get(rule.doc_id, 99)))
    out.sort(key=lambda m: (-m.coverage, -m.shared, m.rank))
    return out
