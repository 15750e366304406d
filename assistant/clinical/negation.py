"""Negated and affirmed findings: "without radiculopathy", "films negative", "screening has not been performed".

A cue such as "without" negates the words after it up to the next clause boundary (after NegEx's
termination terms); a finding reported as "normal" or "negative" negates the words it qualifies.
The question parser, the rating-row matcher and the criteria judge all read findings this way.
"""

from __future__ import annotations

import re
from functools import lru_cache

from core.textnorm import expand, stem
from core.vocabulary import STOPWORDS

NEGATION_CUES = re.compile(
    r"\b(?:without|no|none|not|denies|denied|negative\s+for|absence\s+of|absent|free\s+of|ruled\s+out|non|never|lack\s+of|"
    r"cannot|can't|can not|unable\s+to|won't|doesn't|didn't|isn't|aren't|wasn't|hasn't|haven't)(?![a-z])",
    re.I,
)
# Where a negation's reach ends (after NegEx's termination terms): punctuation, a conjunction, or
# the verb of a new statement ("not hospitalized | qualifies when pain ...").
_SCOPE_END = re.compile(
    r"[.;:,()?!]|\b(?:but|with|who|which|when|if|only|unless|because|although|however|except|whose|"
    r"qualif\w*|requires?|is|are|was|were|has|have|and\s+(?:has|had|is|was|with))\b",
    re.I,
)


def _stems(text: str) -> set[str]:
    return {stem(t) for t in re.findall(r"[a-z0-9]+", expand(text)) if t not in STOPWORDS}


_UNDONE = re.compile(
    r"((?:[a-z-]+\s+){1,4}?)(?:has|have|was|were|is|are)?\s*(?:not|never)\s+(?:been\s+)?"
    r"(?:performed|done|completed|tried|attempted|obtained|documented)\b"
)
_STATE_CUES = re.compile(r"negative|normal|unremarkable|noncontributory|clear")


@lru_cache(maxsize=50000)
def find_negations(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(negated stems, affirmed stems).

    A cue such as "without" negates the words after it up to the next clause boundary; a finding
    reported as "normal" or "negative" negates the words it qualifies ("neuro exam normal",
    "normal WBC", "films negative"), so it can agree with "No neurologic findings".
    """
    # "without contrast" names a contrast phase, not an absent finding.
    canon = re.sub(r"\b(?:without and with|without|with) contrast\b", " ", expand(text))
    negated: set[str] = set()
    for m in NEGATION_CUES.finditer(canon):
        rest = canon[m.end() :]
        # "none of the following: constant pain, night pain" negates the whole list after the colon.
        end = re.search(r"[.;]", rest) if re.match(r"\s*(?:of\s+)?the\s+following", rest) else _SCOPE_END.search(rest)
        scope = rest[: end.start()] if end else rest
        limit = 40 if end is not None and end.group(0) in ".;" else 8
        negated |= {s for s in _stems(" ".join(scope.split()[:limit])) if s not in {"contrast", "iv"}}
    for m in _UNDONE.finditer(canon):  # "screening has not been performed": the subject is absent
        negated |= _stems(m.group(1))
    for clause in re.split(r"[.;:,()?!]", canon):
        words = clause.split()
        for i, word in enumerate(words):
            if not _STATE_CUES.fullmatch(word) or (i + 1 < len(words) and words[i + 1] == "for"):
                continue
            follows = i + 1 < len(words) and words[i + 1] not in STOPWORDS
            target = words[i + 1 : i + 3] if follows else words[max(0, i - 3) : i]
            negated |= _stems(" ".join(target))
    affirmed = _stems(canon) - negated
    return frozenset(negated), frozenset(affirmed)
