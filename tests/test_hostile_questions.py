"""Hostile questions and terminal escape injection (issue 15, items 1 and 2).

Real index (the fixture corpus in real Chroma, the packaged MiniLM), the real CLI through click's
runner. Each test does what an attacker would and checks the refusal or the safe output, and that
nothing indexed changed.
"""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from assistant.feedback import record_feedback
from assistant.query import QuestionError
from assistant.service import Assistant
from core.safetext import clean_text, terminal_safe
from core.settings import Settings
from store.manifest import Manifest
from ui.cli import cli

ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x1b[31m\x9b6n"


@pytest.fixture(scope="module")
def assistant(fixture_settings: Settings) -> Assistant:
    return Assistant(fixture_settings)


def _indexed(settings: Settings) -> tuple[str, int, dict[str, str]]:
    manifest = Manifest(settings.manifest_path)
    try:
        return manifest.generation(), manifest.count_chunks(), manifest.statuses()
    finally:
        manifest.close()


def test_invalid_utf8_and_lone_surrogates_are_replaced_not_a_traceback(assistant, fixture_settings):
    before = _indexed(fixture_settings)
    # `printf 'Is MRI \xff\xfe indicated?'` reaches Python as lone surrogates (surrogateescape)
    answer = assistant.ask("Thunderclap headache \udcff\udcfe. Non-con head CT?")
    assert answer.determination.value == "indicated"
    assert "\ufffd" in answer.question and "\udcff" not in answer.question
    answer.model_dump_json()  # the whole answer encodes
    assistant.ask("Is MRI \ud800 indicated?\uffff", history=["earlier \udfff turn"])  # no exception
    assert _indexed(fixture_settings) == before


def test_a_real_shell_passing_invalid_utf8_gets_an_answer_not_a_traceback(fixture_settings):
    """`guideqa ask "$(printf 'Is MRI \\xff\\xfe indicated?')"` as a separate process, raw bytes in argv."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    question = b"Thunderclap headache \xff\xfe. Non-con head CT?"
    args = [sys.executable.encode(), b"-m", b"ui.cli", b"--home", os.fsencode(fixture_settings.home), b"ask", question]
    done = subprocess.run(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    assert b"Traceback" not in done.stderr and b"INDICATED" in done.stdout


def test_control_characters_are_stripped_from_the_question(assistant):
    answer = assistant.ask(f"{ESCAPES}Thunderclap headache.\u202e Non-con head CT?\x00")
    assert answer.determination.value == "indicated"
    assert not any(c in answer.question for c in "\x1b\x07\x9b\x00\u202e")


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("", "empty"),
        ("   \x1b\x07\u200b  ", "empty"),
        ("\udcff\udcfe ?!", "no words"),
        ("x" * 100_000, "limit is 2000"),
        (None, "empty"),
        (42, "must be text"),
    ],
)
def test_empty_huge_and_non_text_questions_are_clear_errors(assistant, question, says):
    with pytest.raises(QuestionError, match=says):
        assistant.ask(question)  # type: ignore[arg-type]


def test_unknown_audience_is_a_clear_error(assistant):
    with pytest.raises(QuestionError, match="audience"):
        assistant.ask("Non-con head CT for thunderclap headache?", audience="\x1b[2J")


def test_cli_ask_never_prints_escape_codes(fixture_settings):
    runner = CliRunner()
    home = str(fixture_settings.home)
    question = f"{ESCAPES}Thunderclap headache \udcff. Non-con head CT?"
    for extra in ([], ["--json"]):
        result = runner.invoke(cli, ["--home", home, "ask", question, *extra], obj={})
        assert result.exit_code == 0, result.output
        assert "\x1b]" not in result.output and "\x1b[2J" not in result.output and "\x9b" not in result.output
        assert "\x07" not in result.output
    assert json.loads(result.output)["determination"] == "indicated"


def test_feedback_comment_with_escapes_is_shown_escaped_to_the_editor(fixture_settings, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(fixture_settings.home, home)
    settings = Settings(home=home)
    answer = Assistant(settings).ask("Thunderclap headache. Non-con head CT?")
    record_feedback(settings, answer, -1, f"bad{ESCAPES}answer \udcff", asked=f"q{ESCAPES}")
    runner = CliRunner()
    for extra in ([], ["--json"]):
        result = runner.invoke(cli, ["--home", str(home), "feedback", "list", *extra], obj={})
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x9b" not in result.output and "\x07" not in result.output
    table = runner.invoke(cli, ["--home", str(home), "feedback", "list"], obj={}).output
    assert "\u241b" in table  # ESC is shown as the visible symbol ␛
    listed = json.loads(result.output)
    assert listed[0]["comment"].startswith("bad\x1b[2J")  # stored as typed, only the display is escaped


def test_document_metadata_with_escapes_is_escaped_in_docs_list_and_show(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "evil.md").write_text(
        '---\ndoc_id: evil\ntitle: "Evil \\e[2J\\e]0;pwned\\a title [bold]x[/bold]"\npublisher: "P \\e[31m"\n'
        "status: approved\n---\n# Evil\n\nLumbar MRI is indicated after six weeks of therapy.\n",
        encoding="utf-8",
    )
    home = str(tmp_path / "home")
    runner = CliRunner()
    assert runner.invoke(cli, ["--home", home, "ingest", str(corpus)], obj={}).exit_code == 0
    for args in (["docs", "list"], ["docs", "show", "evil"], ["docs", "list", "--json"], ["docs", "history", "evil"]):
        result = runner.invoke(cli, ["--home", home, *args], obj={})
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output, args
    shown = runner.invoke(cli, ["--home", home, "docs", "show", "evil"], obj={}).output
    assert "[bold]x[/bold]" in shown  # markup in a title is text, not styling


def test_terminal_safe_and_clean_text_units():
    assert terminal_safe("a\x1b[2Jb\nc\x07") == "a\u241b[2Jb\nc\u2407"
    assert terminal_safe("x\x9by\u202ez") == "x\ufffdy\ufffdz"
    assert clean_text("a\tb\x1b[1mc\u200bd\udcff") == "a b[1mcd\ufffd"
    assert clean_text(b"Is MRI \xff\xfe indicated?") == "Is MRI \ufffd\ufffd indicated?"


# A bounded property suite (benchmarks/fuzz_questions.py runs 10,000 examples): any text, any
# history, the answer or a QuestionError, never anything else.
_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec=None, categories=None), max_size=200),
    st.builds(
        lambda a, b: f"Is {a} lumbar MRI indicated {b}?",
        st.text(max_size=40),
        st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=40),
    ),
    st.binary(max_size=120).map(lambda b: b.decode("utf-8", errors="surrogateescape")),
)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=_TEXT, history=st.lists(_TEXT, max_size=2))
def test_any_text_is_answered_or_refused_clearly(assistant, question, history):
    try:
        answer = assistant.ask(question, history=history)
    except QuestionError:
        return
    answer.model_dump_json()
    assert "\x1b" not in answer.question and not any(0xD800 <= ord(c) <= 0xDFFF for c in answer.question)
