"""Compare two eval runs: metric deltas and the questions whose verdict flipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from evals.metrics import LOWER_IS_BETTER, QUALITY_METRICS


def _load(run: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    report_path = run / "report.json"
    if not report_path.is_file():
        raise FileNotFoundError(f"{run}: no report.json (is it an eval run folder?)")
    report = json.loads(report_path.read_text())
    results = {}
    results_path = run / "results.jsonl"
    if results_path.is_file():
        for line in results_path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                results[row["id"]] = row
    return report, results


def compare_runs(run_a: Path, run_b: Path) -> dict[str, Any]:
    report_a, results_a = _load(run_a)
    report_b, results_b = _load(run_b)
    deltas = {}
    for key in QUALITY_METRICS:
        a, b = report_a.get(key), report_b.get(key)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            deltas[key] = {"a": a, "b": b, "delta": round(b - a, 4)}
    for key in ("p50", "p95"):
        a, b = report_a["latency_ms"][key], report_b["latency_ms"][key]
        deltas[f"latency_{key}_ms"] = {"a": a, "b": b, "delta": round(b - a, 2)}
    flipped = []
    for qid in sorted(set(results_a) & set(results_b)):
        ra, rb = results_a[qid], results_b[qid]
        if ra["predicted"] != rb["predicted"]:
            flipped.append(
                {
                    "id": qid,
                    "question": ra["question"],
                    "gold": ra["gold"],
                    "a": ra["predicted"],
                    "b": rb["predicted"],
                    "fixed": rb["correct"] and not ra["correct"],
                    "broken": ra["correct"] and not rb["correct"],
                }
            )
    return {
        "run_a": str(run_a),
        "run_b": str(run_b),
        "commit_a": report_a.get("git_commit"),
        "commit_b": report_b.get("git_commit"),
        "n_common": len(set(results_a) & set(results_b)),
        "metrics": deltas,
        "flipped": flipped,
        "fixed": sum(f["fixed"] for f in flipped),
        "broken": sum(f["broken"] for f in flipped),
    }


def render_comparison(result: dict[str, Any], console: Console) -> None:
    table = Table(title=f"{result['run_a']}  →  {result['run_b']}")
    for col in ("metric", "A", "B", "delta"):
        table.add_column(col)
    for key, m in result["metrics"].items():
        colour = "green" if m["delta"] > 0 else "red" if m["delta"] < 0 else ""
        if key in LOWER_IS_BETTER or key.startswith("latency"):
            colour = {"green": "red", "red": "green"}.get(colour, "")
        table.add_row(key, str(m["a"]), str(m["b"]), f"[{colour}]{m['delta']:+}[/]" if colour else f"{m['delta']:+}")
    console.print(table)
    console.print(
        f"{len(result['flipped'])} verdicts flipped among {result['n_common']} common questions: "
        f"{result['fixed']} fixed, {result['broken']} broken"
    )
    for f in result["flipped"][:50]:
        mark = "[green]fixed[/]" if f["fixed"] else "[red]broken[/]" if f["broken"] else "changed"
        console.print(f"  {mark} {f['id']}: gold {f['gold']}: {f['a']} → {f['b']}  {f['question'][:100]}")
