"""``guideqa ask/eval --engine openai`` from the command line (scripted OpenAI-compatible server)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.conftest import FIXTURE_EVALSET
from tests.llm_doubles import ScriptedOpenAIServer, obedient_server_reply
from ui.cli import cli


@pytest.fixture
def server(monkeypatch):
    with ScriptedOpenAIServer(obedient_server_reply) as s:
        monkeypatch.setenv("GUIDEQA_LLM_BASE_URL", s.base_url)
        monkeypatch.setenv("GUIDEQA_LLM_MODEL", "scripted")
        yield s


def test_ask_with_the_openai_engine_and_no_endpoint_says_which_variable_to_set(fixture_settings, monkeypatch):
    monkeypatch.delenv("GUIDEQA_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("GUIDEQA_LLM_MODEL", raising=False)
    result = CliRunner().invoke(
        cli, ["--home", str(fixture_settings.home), "ask", "Head CT?", "--engine", "openai"], obj={}
    )
    assert result.exit_code == 2 and "GUIDEQA_LLM_BASE_URL" in result.output


def test_ask_with_the_openai_engine_prints_the_llm_answer(fixture_settings, server):
    question = "Thunderclap headache, worried about SAH. Non-con head CT?"
    args = ["--home", str(fixture_settings.home), "ask", question, "--engine", "openai", "--json"]
    result = CliRunner().invoke(cli, args, obj={})
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["engine"] == "openai" and answer["fallback"] is None and answer["references"]
    assert len(server.requests) == 1


def test_eval_with_the_openai_engine_reports_the_fallback_rate(tmp_path, server):
    out = tmp_path / "run"
    args = ["--home", str(tmp_path / "home"), "eval", str(FIXTURE_EVALSET), "--engine", "openai", "--limit", "4"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out), "--json"], obj={})
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["engine"] == "openai" and report["n"] == 4 and report["fallback_rate"] == 0.0
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert {r["answered_by"] for r in rows} <= {"openai"}
