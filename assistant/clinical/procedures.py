"""Procedure phrases as signatures (modality, contrast phase, the other words) and how well two match.

"CT A/P w/ and w/o" and "CT abdomen and pelvis without and with contrast" must match exactly,
while "CT abdomen without contrast" must not match "CT abdomen with contrast": contrast phase and
modality are compared as categories, the remaining words (region, technique) by overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from core.textnorm import expand, stem
from core.vocabulary import PROCEDURE_CONTRAST_WORDS, PROCEDURE_MODALITY, PROCEDURE_NOISE, STOPWORDS

# stem -> modality class; stems that are neither region nor technique (core/lexicon/procedure_words.yaml)
_MODALITY = PROCEDURE_MODALITY
_CONTRAST_WORDS = PROCEDURE_CONTRAST_WORDS
_NOISE = PROCEDURE_NOISE


@dataclass(frozen=True)
class ProcedureSignature:
    modalities: frozenset[str]
    contrast: str | None  # "none" | "with" | "both" | None when the phrase does not say
    words: frozenset[str]


@lru_cache(maxsize=50000)
def signature(text: str) -> ProcedureSignature:
    canon = expand(text)
    if "without and with contrast" in canon:
        contrast: str | None = "both"
    elif "without contrast" in canon:
        contrast = "none"
    elif "contrast" in canon or "arthrographi" in canon or "enhanced" in canon:
        contrast = "with"
    elif re.search(r"\bwithout\b(?!\s+and\b)", canon):
        contrast = "none"  # "MRI ankle w/o?": in a procedure phrase a bare w/o means without contrast
    elif re.search(r"\bwith\s*[?.!]*$", canon):
        contrast = "with"
    else:
        contrast = None
    tokens = [stem(t) for t in re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", canon)]
    modalities = {_MODALITY[t] for t in tokens if t in _MODALITY}
    if "bone scan" in canon:
        modalities.add("nm")
    if modalities & {"cta", "mra"}:  # an angiogram by CT or MR is still that modality
        modalities |= {"ct" if "cta" in modalities else "mri"}
    # Placeholders for "whichever part hurts" name no region of their own.
    canon = re.sub(r"\b(?:area of interest|appendicular skeleton|body part)\b", " ", canon)
    tokens = [stem(t) for t in re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", canon)]
    words = {
        t for t in tokens if t not in _MODALITY and t not in _CONTRAST_WORDS and t not in _NOISE and t not in STOPWORDS
    }
    return ProcedureSignature(frozenset(modalities), contrast, frozenset(words))


def match_score(asked: str, candidate: str, weights: dict[str, float] | None = None) -> float:
    """How well a rating row's procedure matches the procedure asked about, about -2 .. 2.

    Modality disagreement and a contradicted contrast phase dominate; word overlap (region,
    technique) decides among rows that agree on both.
    """
    a, c = signature(asked), signature(candidate)
    score = 0.0
    if a.modalities and c.modalities:
        if a.modalities & c.modalities:
            score += 1.0 * len(a.modalities & c.modalities) / len(a.modalities | c.modalities)
        else:
            score -= 1.0
    elif a.modalities and not c.modalities:
        score -= 0.3
    if a.contrast is not None:
        if c.contrast == a.contrast:
            score += 0.5
        elif c.contrast is None:
            score -= 0.1 if a.contrast == "none" else 0.4
        elif {a.contrast, c.contrast} == {"with", "both"}:
            score -= 0.3  # "contrast-enhanced MRA" is usually performed, and named, without and with
        else:
            score -= 1.0
    elif c.contrast is not None:
        score -= 0.05
    if a.words or c.words:
        # Words weigh by how rare they are among the candidate rows: "brachytherapy" tells rows
        # apart, "radiation therapy" does not.
        w = (lambda t: weights.get(t, 1.0)) if weights else (lambda t: 1.0)
        shared = a.words & c.words
        recall = sum(map(w, shared)) / sum(map(w, c.words)) if c.words else 1.0  # how much of the row is named
        precision = sum(map(w, shared)) / sum(map(w, a.words)) if a.words else 0.5  # how much asked is in the row
        score += 0.6 * recall + 0.4 * precision
    return score
