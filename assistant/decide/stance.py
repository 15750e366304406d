"""The stance of evidence sentences toward a question: for, against, or mixed.

The fallback when no rating row or criteria list decides: read the sentences of the best
documents most related to the question and count cue phrases of support ("significantly
improved", "is recommended") and of no effect or recommendation against ("no significant
difference", "not recommended"). A lexical heuristic, stated as such in every answer it produces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.schema import Determination

_AGAINST = re.compile(
    r"\b(?:no|not|non)[- ]significant(?:ly)?\b|\bnot\s+(?:statistically\s+)?significant|"
    r"\b(?:did|does|do|was|were|is|are|could|can)\s+not\s+(?:\w+\s+){0,2}?(?:differ|improve|reduce|increase|"
    r"affect|change|predict|influence|show|find|associate|correlate|alter|benefit|help|prevent|lead)|"
    r"\bno\s+(?:\w+\s+){0,2}?(?:difference|differences|association|correlation|effect|effects|benefit|"
    r"improvement|change|changes|relationship|evidence|impact|advantage|increase|reduction)\b|"
    r"\bnot\s+(?:be\s+)?(?:recommended|indicated|covered|associated|related|effective|useful|necessary|"
    r"superior|predictive|appropriate)\b|\bshould\s+not\b|\bfailed\s+to\b|\bsimilar\b|\bcomparable\b|"
    r"\bunchanged\b|\bineffective\b|\bnot\s+routinely\b|\bunproven\b|\binvestigational\b|\bp\s*[>=]\s*0?\.[0-9]|"
    r"\b(?:nearly|virtually|almost)\s+identical\b|\bno\s+(?:statistically\s+)?significant\b|\bns\b|\bneither\b",
    re.I,
)
_FOR = re.compile(
    r"\bsignificant(?:ly)?\b|\bimprov(?:e|ed|es|ement|ing)\b|\beffective\b|\brecommended\b|\bindicated\b|"
    r"\bassociated\s+with\b|\bincreas(?:e|ed|es)\b|\breduc(?:e|ed|es|tion)\b|\bbenefit\b|\bsuperior\b|"
    r"\bbetter\b|\bhigher\b|\blower\b|\bpredict(?:s|ed|ive)?\b|\bp\s*<\s*0?\.[0-9]|\bcovered\b|\bappropriate\b|"
    r"\bsafe\b|\bfeasible\b|\buseful\b",
    re.I,
)
# Sections that report findings; background and aims state hopes, not results.
_FINDINGS = re.compile(r"result|finding|outcome|conclusion|discussion|recommend|indication|criteria|limitation", re.I)
_AIMS = re.compile(r"background|introduction|objective|purpose|aim|method|design|setting|context|scope", re.I)

_HEDGE = re.compile(r"\b(?:may|might|possibly|unclear|uncertain|limited evidence|insufficient|trend|however)\b", re.I)


@dataclass
class StanceCount:
    support: float = 0.0
    against: float = 0.0
    hedge: float = 0.0


def section_weight(section: str) -> float:
    """How much a sentence's section speaks to the answer: findings 1, aims and methods 0.2."""
    if _FINDINGS.search(section):
        return 1.0
    if _AIMS.search(section):
        return 0.2
    return 0.6


def score(sentence: str, weight: float = 1.0) -> StanceCount:
    against = len(_AGAINST.findall(sentence))
    support = len(_FOR.findall(sentence))
    # "no significant difference" also matches "significant": count the negative reading only.
    support = max(0, support - against)
    return StanceCount(support * weight, against * weight, len(_HEDGE.findall(sentence)) * weight)


# When a lexical reading may commit to a verdict. It is the weakest evidence the engine has (cue
# phrases, not a rating or a criterion), so it commits only when the cues lean clearly one way and
# there is at least one sentence's worth of them; otherwise it abstains (`conditional`) and says so.
# "Mostly" is read as at least two to one: a 55:45 split of cue phrases is no lean a physician should
# act on. One sentence's worth: the weights of :func:`score` are relevance x section, so 1.0 is one
# cue in a findings sentence about the question (many faint cues in background sentences add up
# to less). On the PubMedQA dev set (500 abstracts) the earlier 55 % rule committed on 72 % of
# questions at 58 % accuracy (30 % of all answers confidently wrong); see the README for this rule.
COMMIT_SHARE = 2 / 3
COMMIT_MIN_WEIGHT = 1.0


def decide(counts: StanceCount) -> Determination:
    total = counts.support + counts.against
    if total < COMMIT_MIN_WEIGHT:
        return Determination.conditional
    share = counts.support / total
    if share >= COMMIT_SHARE:
        return Determination.indicated
    if share <= 1 - COMMIT_SHARE:
        return Determination.not_indicated
    return Determination.conditional
