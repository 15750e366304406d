"""One clinical reading text for questions and policy sentences: casefolded, shorthand expanded.

"58F axial LBP x8mo, MBB x2 85/90 %, RFA ok?" and "Facet joint interventions require ..." are
both read after the same steps: Unicode punctuation folded, whole-token shorthand expanded from
``abbreviations.yaml`` ("lbp" -> "low back pain"; entries with a ``when`` pattern only where the
surrounding text matches it), number words written as digits ("two blocks" -> "2 blocks").
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from core.lexicon import Lexicon, load_lexicon

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": " - ",
        "\u2212": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u00a0": " ",
        "\u2264": " <= ",
        "\u2265": " >= ",
        "\u00d7": " x ",
    }
)
NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "eighteen": 18,
    "twenty": 20,
    "twenty-four": 24,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b")
# Tokens as shorthand is written: letters, digits, '/', '-' and an apostrophe inside.
_TOKEN = re.compile(r"[a-z0-9][a-z0-9/'\-]*[a-z0-9/]|[a-z0-9]")


@cache
def _abbreviation_table(lexicon: Lexicon) -> tuple[dict[str, str], list[tuple[re.Pattern[str], str, str]]]:
    plain: dict[str, str] = {}
    guarded: list[tuple[re.Pattern[str], str, str]] = []
    for a in lexicon.abbreviations:
        if a.when:
            guarded.append((re.compile(a.when), a.short, a.long))
        else:
            plain[a.short] = a.long
    return plain, guarded


# "drug, surgical, physical or psychological therapies", "physical and psychological evaluations":
# a head noun shared by a coordinated list of modifiers is written out for each.
_ELIDED = re.compile(
    r"\b((?:[a-z-]+,\s+){0,3}[a-z-]+)\s+(and|or)\s+([a-z-]+)\s+(therapies|treatments|evaluations|examinations|blocks|injections|procedures|tests)\b"
)
_NOT_MODIFIERS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "in",
        "on",
        "with",
        "for",
        "to",
        "from",
        "and",
        "or",
        "no",
        "not",
        "any",
        "all",
        "other",
        "both",
    ]
)


def _spell_out(m: re.Match[str]) -> str:
    items = [x.strip() for x in m.group(1).split(",")] + [m.group(3)]
    if any(x in _NOT_MODIFIERS or " " in x for x in items) or len(items) < 2:
        return m.group(0)
    head = m.group(4)
    named = [f"{x} {head}" for x in items]
    return (
        (", ".join(named[:-1]) + f" {m.group(2)} " + named[-1])
        if len(named) > 2
        else f"{named[0]} {m.group(2)} {named[1]}"
    )


def _expand(text: str, lexicon: Lexicon) -> str:
    plain, guarded = _abbreviation_table(lexicon)

    def one(token: str, start: int) -> str | None:
        # A shorthand whose meaning depends on its neighbours ("dx injection" vs "dx of sciatica", "Medicare pt"
        # vs "failed PT") is read in context first (its pattern matched at the token); the plain one applies elsewhere.
        for pattern, short, long in guarded:
            if short == token and pattern.match(text, start):
                return long
        return plain.get(token)

    def swap(m: re.Match[str]) -> str:
        token = m.group(0)
        whole = one(token, m.start())
        if whole is not None:
            return whole
        if "/" in token.strip("/"):
            # "PT/NSAIDs": each part of a slashed pair is read on its own
            parts, pos, out = token.split("/"), m.start(), []
            for part in parts:
                out.append(one(part, pos) or part)
                pos += len(part) + 1
            return "/".join(out)
        return token

    return _TOKEN.sub(swap, text)


@lru_cache(maxsize=20000)
def normalize(text: str) -> str:
    """The reading text: folded, casefolded, shorthand expanded, number words as digits, one space."""
    lexicon = load_lexicon()
    out = unicodedata.normalize("NFKC", text).translate(_FOLD).lower()
    out = re.sub(r"[\u0000-\u001f\u007f]", " ", out)
    out = _expand(out, lexicon)
    out = re.sub(r"(?<=[a-z0-9])\+(?=[a-z])", " and ", out)  # "PT+NSAIDs+HEP", "decompression+fusion"
    out = re.sub(r"(?<=[a-z])\+(?=[\s,.;)]|$)|(?<=\s)\+(?=[\s,.;)]|$)", " positive", out)  # "Fortin+", "tests +"
    out = _NUMBER_WORD.sub(lambda m: str(NUMBER_WORDS[m.group(1)]), out)
    out = _ELIDED.sub(_spell_out, out)
    return re.sub(r"\s+", " ", out).strip()
