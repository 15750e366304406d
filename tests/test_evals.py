"""guideqa eval on the fixture evalset: real thresholds, report shape, compare, interruption."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from assistant.service import Assistant
from evals.evalset import EvalsetError, GoldItem, load_gold, stratified_sample
from evals.runner import run_eval
from tests.conftest import FIXTURE_EVALSET
from ui.cli import cli

REPORT_KEYS = {
    "n",
    "engine",
    "corpus_docs",
    "git_commit",
    "determination_accuracy",
    "accuracy_ci95",
    "macro_f1",
    "per_class",
    "confusion",
    "retrieval_hit_at_1",
    "retrieval_hit_at_5",
    "mrr",
    "gold_doc_cited_rate",
    "citation_resolve_rate",
    "supported_bullet_rate",
    "insufficient_rate",
    "committed_rate",
    "committed_accuracy",
    "confident_wrong_rate",
    "latency_ms",
    "questions_per_s",
}


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory):
    home = tmp_path_factory.mktemp("eval-home")
    out = tmp_path_factory.mktemp("eval-out") / "run"
    result = CliRunner().invoke(
        cli, ["--home", str(home), "eval", str(FIXTURE_EVALSET), "--out", str(out), "--json"], obj={}
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), out, home


def test_the_fixture_evalset_meets_its_thresholds(fixture_run):
    report, _, _ = fixture_run
    assert report["n"] == 23
    assert report["determination_accuracy"] >= 0.9
    assert report["retrieval_hit_at_5"] >= 0.95
    assert report["citation_resolve_rate"] == 1.0
    assert report["supported_bullet_rate"] == 1.0
    assert report["bullets_checked"] > 23  # the rates above were computed over real bullets
    assert report["questions_per_s"] > 0


def test_the_report_has_every_key_and_consistent_numbers(fixture_run):
    report, out, _ = fixture_run
    assert set(report) >= REPORT_KEYS
    assert report["accuracy_ci95"][0] <= report["determination_accuracy"] <= report["accuracy_ci95"][1]
    assert sum(sum(row.values()) for row in report["confusion"].values()) == report["n"]
    assert set(report["latency_ms"]) == {"p50", "p95", "max"}
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 23
    assert {
        "id",
        "question",
        "gold",
        "predicted",
        "correct",
        "cited_doc_ids",
        "retrieved_doc_ids",
        "latency_ms",
    } <= set(rows[0])
    assert sum(r["correct"] for r in rows) / 23 == pytest.approx(report["determination_accuracy"], abs=1e-4)
    for name in ("report.md", "confusion.png", "latency.png", "accuracy_per_class.png"):
        assert (out / name).stat().st_size > 0
    assert "Confusion" in (out / "report.md").read_text()


def test_a_second_run_reuses_the_index(fixture_run, tmp_path):
    _, _, home = fixture_run
    result = CliRunner().invoke(
        cli, ["--home", str(home), "eval", str(FIXTURE_EVALSET), "--out", str(tmp_path / "r2"), "--limit", "6"], obj={}
    )
    assert result.exit_code == 0, result.output
    assert "0 chunks embedded now" in result.output
    report = json.loads((tmp_path / "r2" / "report.json").read_text())
    assert report["n"] == 6 and report["n_total"] == 23


def test_compare_shows_deltas_and_flipped_verdicts(fixture_run, tmp_path):
    _, out, _ = fixture_run
    other = tmp_path / "other"
    shutil.copytree(out, other)
    rows = [json.loads(line) for line in (other / "results.jsonl").read_text().splitlines()]
    rows[0]["predicted"], rows[0]["correct"] = "insufficient_evidence", False
    (other / "results.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = CliRunner().invoke(cli, ["eval", "compare", str(out), str(other), "--json"], obj={})
    comparison = json.loads(result.output)
    assert [f["id"] for f in comparison["flipped"]] == [rows[0]["id"]]
    assert comparison["broken"] == 1 and "determination_accuracy" in comparison["metrics"]


def test_stratified_sample_is_deterministic_and_keeps_proportions():
    items = [GoldItem(f"q{i}", "q", "indicated" if i % 3 else "not_indicated") for i in range(30)]
    a, b = stratified_sample(items, 9), stratified_sample(items, 9)
    assert [i.id for i in a] == [i.id for i in b]
    assert sum(i.determination == "not_indicated" for i in a) == 3


def test_a_malformed_gold_file_names_the_line(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "a", "question": "q", "determination": "indicated"}\n{"id": "b", "question": "q"}\n')
    with pytest.raises(EvalsetError, match=r"gold.jsonl:2: missing key 'determination'"):
        load_gold(gold)


class _InterruptingAssistant:
    """Wraps a real assistant and raises KeyboardInterrupt on the n-th question (a user's Ctrl-C)."""

    def __init__(self, inner: Assistant, after: int) -> None:
        self.inner, self.after, self.calls = inner, after, 0
        self.engine, self.store = inner.engine, inner.store

    def ask(self, question: str, **kwargs: object):
        self.calls += 1
        if self.calls > self.after:
            raise KeyboardInterrupt
        return self.inner.ask(question, **kwargs)  # type: ignore[arg-type]


def test_ctrl_c_leaves_a_valid_partial_report(fixture_settings, tmp_path):
    assistant = _InterruptingAssistant(Assistant(fixture_settings), after=5)
    report, out = run_eval(fixture_settings, FIXTURE_EVALSET, out=tmp_path / "partial", assistant=assistant)
    assert report["interrupted"] is True and report["n"] == 5
    saved = json.loads((out / "report.json").read_text())
    assert set(saved) >= REPORT_KEYS and saved["n"] == 5
    assert len((out / "results.jsonl").read_text().splitlines()) == 5
    assert "Interrupted" in (out / "report.md").read_text()


def test_eval_of_a_folder_without_corpus_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["eval", str(tmp_path)], obj={})
    assert result.exit_code == 2 and "no corpus/ folder" in result.output


def test_selective_answer_metrics_count_commitments_and_confident_errors():
    from evals.metrics import summarise

    def row(gold: str, predicted: str) -> dict:
        return {
            "gold": gold,
            "predicted": predicted,
            "correct": gold == predicted,
            "gold_doc_ids": [],
            "cited_doc_ids": [],
            "citations_resolved": 0,
            "citations_total": 0,
            "bullets_supported": 0,
            "bullets_total": 0,
            "latency_ms": 1.0,
        }

    rows = [
        row("indicated", "indicated"),  # committed, right
        row("indicated", "not_indicated"),  # committed, wrong: the worst answer
        row("not_indicated", "conditional"),  # abstained
        row("conditional", "insufficient_evidence"),  # abstained
    ]
    report = summarise(rows, seconds=1.0)
    assert report["committed_rate"] == 0.5
    assert report["committed_accuracy"] == 0.5
    assert report["confident_wrong_rate"] == 0.25
    abstaining = summarise([row("indicated", "conditional")], seconds=1.0)
    assert abstaining["committed_rate"] == 0.0
    assert abstaining["committed_accuracy"] is None  # not a perfect score for never answering
    assert abstaining["confident_wrong_rate"] == 0.0
