"""The guideqa command line, driven as a user would (click's runner, real index)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.conftest import FIXTURE_CORPUS
from ui.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_ingest_then_docs_list_then_ask(runner, tmp_path):
    home = str(tmp_path / "home")
    result = runner.invoke(cli, ["--home", home, "ingest", str(FIXTURE_CORPUS), "--status", "approved"], obj={})
    assert result.exit_code == 0, result.output
    assert "4 added" in result.output
    listed = runner.invoke(cli, ["--home", home, "docs", "list", "--json"], obj={})
    docs = json.loads(listed.output)
    assert {d["doc_id"] for d in docs} == {p.stem for p in FIXTURE_CORPUS.iterdir()}
    assert all(d["status"] == "approved" and d["chunks"] > 0 for d in docs)
    asked = runner.invoke(cli, ["--home", home, "ask", "Thunderclap headache. Non-con head CT?", "--json"], obj={})
    answer = json.loads(asked.output)
    assert answer["determination"] == "indicated" and answer["references"]
    text = runner.invoke(cli, ["--home", home, "ask", "Thunderclap headache. Non-con head CT?"], obj={})
    assert "INDICATED" in text.output and "References" in text.output
    first = answer["references"][0]
    assert first["revision"] == 1 and first["status"] == "approved"
    assert f"cited as {first['doc_id']}@1" in " ".join(text.output.split())  # the revision that answered


def test_ask_without_an_index_says_to_run_ingest(runner, tmp_path):
    result = runner.invoke(cli, ["--home", str(tmp_path / "none"), "ask", "Is MRI indicated?"], obj={})
    assert result.exit_code == 2 and "run `guideqa ingest`" in result.output


@pytest.mark.parametrize(("question", "message"), [("   ", "empty"), ("x " * 1500, "limit is 2000")])
def test_ask_refuses_empty_or_overlong_questions(runner, fixture_settings, question, message):
    result = runner.invoke(cli, ["--home", str(fixture_settings.home), "ask", question], obj={})
    assert result.exit_code == 2 and message in result.output


def test_ask_when_nothing_is_approved_says_so(runner, tmp_path):
    home = str(tmp_path / "home")
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "d.md").write_text("---\ndoc_id: d\ntitle: T\npublisher: P\nyear: 2020\n---\n# T\n\nSome text here.\n")
    assert runner.invoke(cli, ["--home", home, "ingest", str(corpus)], obj={}).exit_code == 0
    result = runner.invoke(cli, ["--home", home, "ask", "Is it indicated?"], obj={})
    assert result.exit_code == 2 and "approved" in result.output


def test_ask_with_an_unknown_engine_is_a_clear_error(runner, fixture_settings):
    result = runner.invoke(cli, ["--home", str(fixture_settings.home), "ask", "Head CT?", "--engine", "nope"], obj={})
    assert result.exit_code == 2 and "unknown answer engine 'nope'" in result.output


def test_ingest_reports_a_malformed_document_and_fails(runner, tmp_path):
    bad = tmp_path / "docs"
    bad.mkdir()
    (bad / "bad.md").write_text("---\ntitle: T\n---\nbody\n")
    result = runner.invoke(cli, ["--home", str(tmp_path / "h"), "ingest", str(bad)], obj={})
    assert result.exit_code == 1 and "bad.md" in result.output and "doc_id" in result.output
