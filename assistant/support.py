"""The one rule that decides whether a chunk supports a claim.

Used by the ``Answer`` validators and, independently, by the evals on the stored chunk text.

A claim is *supported* by a chunk when some window of the chunk's tokens, at most
``2 * len(claim tokens) + 4`` tokens long, contains
- every number in the claim,
- every negation word in the claim (no, not, without, ...), and
- at least 90 % of the claim's content words (tokens that are not stop words).
Tokens are Unicode-normalised, casefolded words and numbers. The check is per chunk, never
against chunks joined together, so a claim stitched from two sources is refused; and it is local,
so words scattered across a long chunk do not add up to support.
"""

from __future__ import annotations

from core.textnorm import raw_tokens
from core.vocabulary import NEGATIONS, STOPWORDS

MIN_CONTENT_COVERAGE = 0.9


def _required(claim_tokens: list[str]) -> tuple[set[str], set[str]]:
    content = {t for t in claim_tokens if t not in STOPWORDS or t in NEGATIONS}
    hard = {t for t in content if t in NEGATIONS or any(ch.isdigit() for ch in t)}
    return content, hard


def supports(claim: str, source: str) -> bool:
    """True when ``source`` supports ``claim`` under the module's rule."""
    claim_tokens = raw_tokens(claim)
    content, hard = _required(claim_tokens)
    if not content:
        return False
    src = raw_tokens(source)
    if not src:
        return False
    window = min(len(src), 2 * len(claim_tokens) + 4)
    need = MIN_CONTENT_COVERAGE * len(content)
    counts: dict[str, int] = {}
    matched = 0
    for i, tok in enumerate(src):
        if tok in content:
            counts[tok] = counts.get(tok, 0) + 1
            if counts[tok] == 1:
                matched += 1
        if i >= window:
            old = src[i - window]
            if old in content:
                counts[old] -= 1
                if counts[old] == 0:
                    matched -= 1
        if matched >= need and all(counts.get(h, 0) > 0 for h in hard):
            return True
    return False


def quote_in(quote: str, source: str) -> bool:
    """A quote is verbatim when its tokens appear contiguously, in order, in the source."""
    q = raw_tokens(quote)
    s = raw_tokens(source)
    if not q:
        return False
    n = len(q)
    return any(s[i : i + n] == q for i in range(len(s) - n + 1))
