"""The vocabulary GuideQA normalises text with: shorthand rewrites, stopwords, negation cues, procedure words.

Physicians type "A/P w/ and w/o", "C-spine films", "non-con CT"; guidelines write "abdomen and
pelvis without and with contrast", "X-ray cervical spine", "CT without contrast". Both sides go
through the same rewrite table (applied by :mod:`core.textnorm`), so BM25, the rating-row
matcher and the support check all compare like with like. The table is general clinical
shorthand, not tuned to any question set.

The entries are data, read once at import from YAML files beside the clinical lexicon
(``core/lexicon/rewrites.yaml``, ``stopwords.yaml``, ``procedure_words.yaml``); every entry names a
public source listed in ``core/lexicon/sources.yaml`` (tests/test_vocabulary_data.py checks each one).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "lexicon"
# libyaml's loader when PyYAML was built with it (the same safe subset of YAML, several times faster).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class VocabularyError(ValueError):
    """A vocabulary file is malformed: names the file and the entry."""


def read_entries(name: str, key: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """The entries listed under ``key`` in ``core/lexicon/<name>``, each checked to hold ``fields`` as
    strings and a ``src`` that ``sources.yaml`` lists."""
    path = DATA_DIR / name
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except yaml.YAMLError as exc:
        raise VocabularyError(f"{path}: not valid YAML ({exc})") from exc
    entries = data.get(key) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise VocabularyError(f"{path}: expected a list under {key!r}")
    known = _source_ids(DATA_DIR)
    for index, entry in enumerate(entries):
        where = f"{name}:{key}[{index}]"
        if not isinstance(entry, dict):
            raise VocabularyError(f"{where}: expected a mapping")
        for field in (*fields, "src"):
            # Quoted scalars only: an unquoted `no` would load as False, `1` as an int.
            value = entry.get(field)
            if not isinstance(value, str):
                raise VocabularyError(f"{where}: {field!r} must be a string, got {value!r}")
            # A double-quoted "\b" loads as a backspace: patterns are single-quoted.
            if any(ord(ch) < 32 for ch in value):
                raise VocabularyError(f"{where}: {field!r} holds a control character ({value!r}): single-quote it")
        if entry["src"] not in known:
            raise VocabularyError(f"{where}: source {entry['src']!r} is not listed in sources.yaml")
    return entries


@cache
def _source_ids(data_dir: Path) -> frozenset[str]:
    data = yaml.load((data_dir / "sources.yaml").read_text(encoding="utf-8"), Loader=_LOADER) or {}
    return frozenset((data.get("sources") or {}) if isinstance(data, dict) else ())


def _rewrites() -> list[tuple[str, str]]:
    rules: list[tuple[str, str]] = []
    for index, entry in enumerate(read_entries("rewrites.yaml", "rewrites", ("pattern", "replacement"))):
        try:
            re.compile(entry["pattern"])
        except re.error as exc:
            raise VocabularyError(f"rewrites.yaml:rewrites[{index}] pattern {entry['pattern']!r}: {exc}") from exc
        rules.append((entry["pattern"], entry["replacement"]))
    return rules


def _words(name: str, key: str, field: str = "word") -> frozenset[str]:
    fields = (field, "word") if field != "word" else (field,)
    return frozenset(entry[field] for entry in read_entries(name, key, fields))


# Rewrites applied, in order, to casefolded text. Contrast phrases first (they contain "w/").
REWRITES: list[tuple[str, str]] = _rewrites()
STOPWORDS = _words("stopwords.yaml", "stopwords")
# Negation cues must never be dropped: "with" vs "without" decides a rating row.
NEGATIONS = _words("stopwords.yaml", "negations")

# Procedure phrases (assistant.clinical.procedures): Snowball stem -> modality class, and the stems
# left out of the region/technique words a procedure is compared by.
PROCEDURE_MODALITY: dict[str, str] = {
    entry["stem"]: entry["modality"]
    for entry in read_entries("procedure_words.yaml", "modality", ("stem", "modality", "word"))
}
PROCEDURE_CONTRAST_WORDS = _words("procedure_words.yaml", "contrast_words", "stem")
PROCEDURE_NOISE = _words("procedure_words.yaml", "noise", "stem")
