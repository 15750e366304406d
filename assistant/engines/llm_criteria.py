"""An LLM judges the compiled criteria as structured output; the rest of the answer stays the typed engine's.

Given the criteria the typed decision found applicable (the same compiled rules, numbered) and the
question, the model returns one judgement per criterion: status, the question's own words that
decide it, and a reason. The reply is checked like every other model output:
- it parses against the bounded schema, and judges every criterion shown exactly once;
- a ``met`` / ``not_met`` quotes at least one fact, and every quoted fact is the question's own words
  (so the model cannot decide a criterion from a fact nobody stated);
problems go back to the model for another try. The verdict is then the one rule every judge shares
(:func:`assistant.decide.necessity.settle`), and the answer is assembled and validated exactly as the
offline engine's (:mod:`assistant.engines.rules_answer`). The offline typed judgement stays the
default and the fallback.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace

from pydantic import ValidationError

from assistant.decide.judge import MET, NOT_MET, UNKNOWN, Judgement
from assistant.decide.necessity import DECIDING, Decision, settle
from assistant.engines.answer_json_schema import MAX_JUDGED, CriteriaJudgements
from core.rules_text import describe

_STATUS = {"met": MET, "not_met": NOT_MET, "unknown": UNKNOWN}


def judged_criteria(decision: Decision) -> list[Judgement]:
    """The applicable deciding criteria, in the order shown to the model (at most ``MAX_JUDGED``)."""
    return [j for j in decision.judgements if j.rule.kind in DECIDING and j.applies == "yes"][:MAX_JUDGED]


def criteria_payload(judged: list[Judgement]) -> list[dict[str, object]]:
    """Each criterion as data: its number, kind, the policy's words and its compiled condition, if any."""
    return [
        {
            "criterion": i,
            "kind": j.rule.kind,
            "text": j.rule.text,
            "condition": describe(j.rule.condition) if j.rule.condition is not None else None,
        }
        for i, j in enumerate(judged, start=1)
    ]


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip(" .,;:")


def parse_judgements(raw: str) -> tuple[CriteriaJudgements | None, list[str]]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, [f"the reply is not valid JSON ({exc.msg} at character {exc.pos})"]
    try:
        return CriteriaJudgements.model_validate(data), []
    except ValidationError as exc:
        return None, [f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in exc.errors()[:6]]


def check_judgements(reply: CriteriaJudgements, n: int, question: str) -> list[str]:
    """What makes the reply unusable: a criterion judged twice, left out or out of range, or a met / not
    met decided by no fact or by words the question does not contain."""
    problems: list[str] = []
    seen: set[int] = set()
    said = _plain(question)
    for j in reply.judgements:
        if not 1 <= j.criterion <= n:
            problems.append(f"criterion {j.criterion} is not in the list (1-{n})")
            continue
        if j.criterion in seen:
            problems.append(f"criterion {j.criterion} is judged twice")
        seen.add(j.criterion)
        if j.status.value != "unknown":
            if not j.facts:
                problems.append(f"criterion {j.criterion} is {j.status.value} but quotes no fact from the question")
            for fact in j.facts:
                if _plain(fact) not in said:
                    problems.append(
                        f"criterion {j.criterion}: {fact[:60]!r} is not in the question; quote its words exactly "
                        "or answer unknown"
                    )
    missing = sorted(set(range(1, n + 1)) - seen)
    if missing:
        problems.append(f"criteria {', '.join(map(str, missing))} are not judged")
    return problems


def apply_judgements(decision: Decision, judged: list[Judgement], reply: CriteriaJudgements) -> Decision:
    """A copy of the decision with the model's statuses on the criteria it judged and the verdict re-settled."""
    by_number = {j.criterion: j for j in reply.judgements}
    replaced: dict[str, Judgement] = {}
    for i, original in enumerate(judged, start=1):
        got = by_number[i]
        replaced[original.rule.rule_id] = replace(
            original,
            status=_STATUS[got.status.value],
            reason=got.reason or original.reason,
            facts=list(got.facts) if got.status.value != "unknown" else [],
        )
    out = copy.copy(decision)
    out.judgements = [replaced.get(j.rule.rule_id, j) for j in decision.judgements]
    applicable = [j for j in out.judgements if j.rule.kind in DECIDING and j.applies == "yes"]
    settled = settle(applicable)
    if settled is not None:
        out.verdict, out.decisive = settled
    return out
