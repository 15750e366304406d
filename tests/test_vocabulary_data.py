"""The text-normalisation vocabulary is data: rewrites, stopwords, negation cues and procedure words.

Each file in core/lexicon/ (rewrites.yaml, stopwords.yaml, procedure_words.yaml) is read here with
plain ``yaml.safe_load``, independently of the loader in :mod:`core.vocabulary`, and checked against
what the code uses: every entry names a listed source, every rewrite compiles and rewrites its example
to the stated result through :func:`core.textnorm.expand`, and the digest ingest keys on is the digest
of the file's table.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

import core.vocabulary as vocabulary
from assistant.clinical import procedures
from core.textnorm import RULES_DIGEST, expand, normalize, stem, terms
from tests.conftest import ROOT

LEXICON_DIR = ROOT / "core" / "lexicon"
FILES = {
    "rewrites.yaml": ("rewrites",),
    "stopwords.yaml": ("stopwords", "negations"),
    "procedure_words.yaml": ("modality", "contrast_words", "noise"),
}


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((LEXICON_DIR / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict), name
    return data


SOURCES = _load("sources.yaml")["sources"]
REWRITES = _load("rewrites.yaml")["rewrites"]
WORDS = _load("stopwords.yaml")
PROCEDURE_WORDS = _load("procedure_words.yaml")
ALL_ENTRIES = [(name, key, entry) for name, keys in FILES.items() for key in keys for entry in _load(name)[key]]
RULES = [(re.compile(e["pattern"]), e["replacement"]) for e in REWRITES]


def _at_turn(index: int, text: str) -> str:
    """The text as rule ``index`` sees it: normalised, every earlier rule applied in order."""
    text = normalize(text)
    for pattern, repl in RULES[:index]:
        text = pattern.sub(repl, text)
    return text


# --------------------------------------------------------------------------- files and sources
def test_each_file_safe_loads_to_lists_of_mappings() -> None:
    for name, keys in FILES.items():
        data = _load(name)
        assert set(data) == set(keys), name
        for key in keys:
            assert data[key] and all(isinstance(e, dict) for e in data[key]), (name, key)


def test_every_entry_names_a_source_listed_with_title_and_address() -> None:
    for name, key, entry in ALL_ENTRIES:
        assert entry.get("src") in SOURCES, (name, key, entry)
    for sid in {entry["src"] for _, _, entry in ALL_ENTRIES}:
        assert SOURCES[sid].get("title"), sid
        assert str(SOURCES[sid].get("url", "")).startswith("http"), sid


def test_every_scalar_is_a_string_without_control_characters() -> None:
    # An unquoted `no` loads as False; a double-quoted "\b" loads as a backspace character.
    for name, key, entry in ALL_ENTRIES:
        for field, value in entry.items():
            if field in ("shadowed", "unreached"):
                assert value is True, (name, entry)
                continue
            assert isinstance(value, str), (name, key, field, value)
            assert not any(ord(ch) < 32 for ch in value), (name, key, field, value)


def test_patterns_are_written_single_quoted_exactly_as_loaded() -> None:
    text = (LEXICON_DIR / "rewrites.yaml").read_text(encoding="utf-8")

    def quoted(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    for entry in REWRITES:
        assert f"pattern: {quoted(entry['pattern'])}, replacement: {quoted(entry['replacement'])}," in text, entry
    assert yaml.safe_load(yaml.safe_dump({"rewrites": REWRITES}, allow_unicode=True))["rewrites"] == REWRITES


def test_package_data_ships_every_vocabulary_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["core"]
    shipped = {p.name for g in globs for p in (ROOT / "core").glob(g)}
    assert set(FILES) | {"sources.yaml"} <= shipped


# --------------------------------------------------------------------------- the data is what the code uses
def test_the_loaded_tables_are_the_files_in_order() -> None:
    table = [(e["pattern"], e["replacement"]) for e in REWRITES]
    assert table == vocabulary.REWRITES
    # ingest keys its cache on this digest: it is the digest of the file's table, nothing else
    assert hashlib.sha1(repr(table).encode()).hexdigest()[:12] == RULES_DIGEST
    assert {e["word"] for e in WORDS["stopwords"]} == vocabulary.STOPWORDS
    assert {e["word"] for e in WORDS["negations"]} == vocabulary.NEGATIONS
    assert list(procedures._MODALITY.items()) == [(e["stem"], e["modality"]) for e in PROCEDURE_WORDS["modality"]]
    assert {e["stem"] for e in PROCEDURE_WORDS["contrast_words"]} == procedures._CONTRAST_WORDS
    assert {e["stem"] for e in PROCEDURE_WORDS["noise"]} == procedures._NOISE


def test_a_malformed_file_is_refused_with_its_entry_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sources.yaml").write_text("sources:\n  abbrev: {title: t, url: 'https://x'}\n")
    (tmp_path / "bad.yaml").write_text("rewrites:\n  - {pattern: '\\bnothing\\b', replacement: no, src: abbrev}\n")
    (tmp_path / "unknown.yaml").write_text("rewrites:\n  - {pattern: 'x', replacement: 'y', src: nowhere}\n")
    monkeypatch.setattr(vocabulary, "DATA_DIR", tmp_path)
    with pytest.raises(vocabulary.VocabularyError, match=r"bad.yaml:rewrites\[0\]: 'replacement' must be a string"):
        vocabulary.read_entries("bad.yaml", "rewrites", ("pattern", "replacement"))
    (tmp_path / "quoted.yaml").write_text(
        'rewrites:\n  - {pattern: "\\bmammo\\b", replacement: mammography, src: abbrev}\n'
    )
    with pytest.raises(vocabulary.VocabularyError, match="control character"):
        vocabulary.read_entries("quoted.yaml", "rewrites", ("pattern", "replacement"))
    with pytest.raises(vocabulary.VocabularyError, match="source 'nowhere' is not listed"):
        vocabulary.read_entries("unknown.yaml", "rewrites", ("pattern", "replacement"))


# --------------------------------------------------------------------------- each rewrite does what it says
@pytest.mark.parametrize("index", range(len(REWRITES)), ids=lambda i: f"{i}:{REWRITES[i]['pattern'][:40]}")
def test_each_rewrite_rewrites_its_example(index: int) -> None:
    entry = REWRITES[index]
    pattern = re.compile(entry["pattern"])
    assert pattern.groups == len(re.findall(r"\\(\d)", entry["replacement"])) or pattern.groups == 0
    assert pattern.search(normalize(entry["example"])), "the example does not contain what the rule matches"
    if entry.get("shadowed"):
        # kept so the table is unchanged; an earlier rule always rewrites its matches first
        assert not pattern.search(_at_turn(index, entry["example"])), "marked shadowed but it fires"
        assert entry.get("note", "").startswith("never fires"), entry
    else:
        assert pattern.search(_at_turn(index, entry["example"])), "an earlier rule consumes the example"
    assert expand(entry["example"]) == entry["expect"]


@pytest.mark.parametrize("entry", [e for e in REWRITES if "example_from" in e], ids=lambda e: e["pattern"][:40])
def test_examples_quoted_from_the_corpus_are_in_it(entry: dict[str, str]) -> None:
    assert entry["example_from"].startswith("corpus/")
    document = normalize((ROOT / entry["example_from"]).read_text(encoding="utf-8"))
    assert normalize(entry["example"]) in document


# --------------------------------------------------------------------------- stopwords and negation cues
def test_stopwords_are_dropped_and_negation_cues_kept() -> None:
    for entry in WORDS["stopwords"]:
        word = entry["word"]
        expected = ["knee", stem(word), "pain"] if word in vocabulary.NEGATIONS else ["knee", "pain"]
        assert terms(f"knee {word} pain") == expected, word
    for entry in WORDS["negations"]:
        assert stem(entry["word"]) in terms(f"knee {entry['word']} pain"), entry


def test_words_cited_to_a_stop_list_are_in_it() -> None:
    sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
    from spacy.lang.en.stop_words import STOP_WORDS as SPACY_STOP_WORDS

    lists = {"glasgow-stop": sklearn_text.ENGLISH_STOP_WORDS, "spacy-stop": SPACY_STOP_WORDS}
    cited = [e for e in WORDS["stopwords"] + PROCEDURE_WORDS["noise"] if e["src"] in lists]
    assert cited
    for entry in cited:
        assert entry.get("word", entry.get("stem")) in lists[entry["src"]], entry


def test_negation_cues_cited_to_medspacy_are_context_negation_triggers() -> None:
    spec = importlib.util.find_spec("medspacy")
    assert spec is not None and spec.origin
    rules_file = Path(spec.origin).parents[1] / "resources" / "en" / "context_rules.json"
    if not rules_file.exists():
        pytest.skip("medspaCy's default ConText rules are not installed as resources/en/context_rules.json")
    words: set[str] = set()
    for rule in json.loads(rules_file.read_text(encoding="utf-8"))["context_rules"]:
        if rule["category"] != "NEGATED_EXISTENCE":
            continue
        words |= set(rule["literal"].lower().split())
        for token in rule.get("pattern") or []:
            lower = token.get("LOWER")
            words |= set(lower["IN"]) if isinstance(lower, dict) else {lower} if lower else set()
    cited = [e for e in WORDS["negations"] if e["src"] == "medspacy"]
    assert cited
    for entry in cited:
        assert entry["word"] in words, entry


# --------------------------------------------------------------------------- procedure words
@pytest.mark.parametrize("entry", PROCEDURE_WORDS["modality"], ids=lambda e: e["stem"])
def test_each_modality_stem_is_reached_and_names_its_modality(entry: dict[str, str]) -> None:
    canon = expand(entry["word"])
    if " " in entry["stem"]:
        assert entry["stem"] in canon
    else:
        assert entry["stem"] in [stem(t) for t in re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", canon)]
    assert entry["modality"] in procedures.signature(entry["word"]).modalities


@pytest.mark.parametrize("entry", PROCEDURE_WORDS["contrast_words"] + PROCEDURE_WORDS["noise"], ids=lambda e: e["stem"])
def test_each_contrast_and_noise_stem_is_left_out_of_the_compared_words(entry: dict[str, str]) -> None:
    words = procedures.signature(f"mri knee {entry['word']}").words
    assert "knee" in words
    if entry.get("unreached"):
        # kept as it was: the entry is not a Snowball stem, so no token ever equals it
        assert stem(entry["stem"]) != entry["stem"] and stem(entry["word"]) != entry["stem"], entry
        assert entry["note"].startswith("never matches"), entry
        # the word itself stays among the compared words unless another entry names its real stem ("studi")
        covered = stem(entry["word"]) in procedures._NOISE | procedures._CONTRAST_WORDS | vocabulary.STOPWORDS
        assert (stem(entry["word"]) in words) is not covered, entry
    else:
        assert stem(entry["word"]) == entry["stem"] and entry["stem"] not in words
