"""`guideqa docs ...` and `guideqa users add`, driven as an editor would (click's runner, real Chroma)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import FIXTURE_CORPUS, ROOT
from ui.cli import cli

DOC = "fx-hypertension-screening"
PASSWORD = "correct-horse-42"
STDIN = PASSWORD + "\n"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"GUIDEQA_HOME": str(tmp_path / "home"), "GUIDEQA_EMBEDDER": "hashing", "GUIDEQA_PASSWORD": PASSWORD}


def run(env: dict[str, str], *args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), obj={}, env=env, input=input)


@pytest.fixture
def revised(tmp_path: Path, env: dict[str, str]) -> Path:
    corpus = Path(shutil.copytree(FIXTURE_CORPUS, tmp_path / "corpus"))
    assert run(env, "ingest", str(corpus), "--status", "approved").exit_code == 0
    assert run(env, "users", "add", "erin", "--role", "editor", "--password-stdin", input=STDIN).exit_code == 0
    paul = run(env, "users", "add", "paul", "--role", "physician", "--user", "erin", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert paul.exit_code == 0, paul.output
    path = tmp_path / "revised.md"
    path.write_text((corpus / f"{DOC}.md").read_text().replace("## Recommendations", "## Recommendations\n- New."))
    return path


def test_an_editor_adds_reviews_approves_and_the_history_diff_and_list_show_it(env, revised):
    refused = run(env, "docs", "add", str(revised), "--user", "erin")
    assert refused.exit_code == 2 and "already exists" in refused.output and "--revise" in refused.output
    added = run(env, "docs", "add", str(revised), "--revise", "--user", "erin", "--note", "new evidence")
    assert added.exit_code == 0 and f"added {DOC}@2 (submitted" in added.output
    queue = json.loads(run(env, "docs", "list", "--status", "submitted", "--json").output)
    assert [(d["doc_id"], d["cited_as"], d["newest"]) for d in queue] == [(DOC, f"{DOC}@1", f"{DOC}@2")]
    assert run(env, "docs", "review", DOC, "--user", "erin").exit_code == 0
    approved = run(env, "docs", "approve", DOC, "--user", "erin", "--note", "ok")
    assert approved.exit_code == 0 and f"{DOC}@2 is now approved" in approved.output
    history = json.loads(run(env, "docs", "history", DOC, "--json").output)
    assert [(h["rev"], h["to_status"], h["actor"]) for h in history][-3:] == [
        (2, "under_review", "erin"),
        (2, "approved", "erin"),
        (1, "retired", "erin"),
    ]
    diff = run(env, "docs", "diff", DOC, "1", "2")
    assert diff.exit_code == 0 and f"+++ {DOC}@2" in diff.output and "+New." in diff.output
    shown = json.loads(run(env, "docs", "show", DOC, "--json").output)
    assert [(r["revision"], r["status"], r["served"]) for r in shown] == [(1, "retired", False), (2, "approved", True)]
    deleted = run(env, "docs", "delete", DOC, "--yes", "--user", "erin")
    assert deleted.exit_code == 0 and run(env, "docs", "show", DOC).exit_code == 2


@pytest.mark.parametrize(
    "command",
    [
        ["add", "{file}", "--revise"],
        ["submit", DOC],
        ["review", DOC],
        ["approve", DOC],
        ["reject", DOC, "--note", "no"],
        ["retire", DOC],
        ["delete", DOC, "--yes"],
    ],
    ids=lambda c: c[0],
)
@pytest.mark.parametrize(
    ("who", "message"),
    [
        ([], "give --user NAME"),
        (["--user", "paul"], "'paul' has role 'physician'"),
        (["--user", "erin", "WRONG"], "unknown user 'erin' or wrong password"),
        (["--user", "mallory"], "unknown user 'mallory' or wrong password"),
    ],
    ids=["no-user", "physician", "wrong-password", "unknown-user"],
)
def test_every_corpus_changing_command_refuses_without_a_verified_editor(env, revised, command, who, message):
    before = run(env, "docs", "show", DOC, "--json").output
    history = run(env, "docs", "history", DOC, "--json").output
    args = [a.replace("{file}", str(revised)) for a in command]
    if who[-1:] == ["WRONG"]:
        who, env = who[:-1], {**env, "GUIDEQA_PASSWORD": "wrong-password"}
    result = run(env, "docs", *args, *who)
    assert result.exit_code == 2 and message in result.output
    assert run(env, "docs", "show", DOC, "--json").output == before
    assert run(env, "docs", "history", DOC, "--json").output == history


def test_users_add_refuses_a_short_password_and_never_stores_it(env, tmp_path):
    result = run(env, "users", "add", "erin", "--role", "editor", "--password-stdin", input="short\n")
    assert result.exit_code == 2 and "at least 8 characters" in result.output
    assert run(env, "users", "add", "erin", "--role", "editor", "--password-stdin", input=STDIN).exit_code == 0
    stored = (tmp_path / "home" / "users.json").read_text()
    assert PASSWORD not in stored and "$2b$" in stored
    assert run(env, "users", "list").output.strip() == "erin\teditor"


def test_a_script_without_a_password_gets_a_clear_error_not_a_hung_prompt(env, revised):
    env = {**env, "GUIDEQA_PASSWORD": None}  # None unsets it, whatever the outer environment holds
    before = run(env, "docs", "history", DOC, "--json").output
    result = run(env, "docs", "retire", DOC, "--user", "erin")
    assert result.exit_code == 2
    assert "no password for erin: set GUIDEQA_PASSWORD" in result.output
    assert run(env, "docs", "history", DOC, "--json").output == before


def test_docs_show_prints_the_sources_an_editor_read(env, tmp_path):
    corpus = tmp_path / "starter"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "lcd-trigger-point-injections.md", corpus)
    assert run(env, "ingest", str(corpus), "--status", "approved").exit_code == 0
    shown = run(env, "docs", "show", "lcd-trigger-point-injections")
    assert shown.exit_code == 0, shown.output
    assert "sources read:" in shown.output
    assert "S5: Acupuncture for Chronic Lower Back Pain (cLBP) (NCD 30.3.3)" in shown.output
    assert "read 2026-12-01" in shown.output
    assert "https://www.cms.gov/Medicare-Coverage-Database/view/ncd.aspx?ncdid=373&ncdver=1" in shown.output
    listed = json.loads(run(env, "docs", "show", "lcd-trigger-point-injections", "--json").output)
    assert [s["id"] for s in listed[0]["sources"]][:2] == ["S1", "S2"]
