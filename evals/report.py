"""report.md: the metrics table, the confusion matrix and the worst misses with their evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.metrics import QUALITY_METRICS

_ORDER = {"indicated": 2, "conditional": 1, "not_indicated": 0}
_SCALARS = [
    "n",
    "accuracy_ci95",
    "majority_baseline",
    *QUALITY_METRICS,
    "conditional_recall",
    "indicated_recall",
    "criteria_status_accuracy",
    "criteria_gold",
    "criteria_found_rate",
    "judgements",
    "judgements_untyped",
    "followup_accuracy",
    "followups",
    "corpus_docs",
    "engine",
    "git_commit",
]


def severity(row: dict[str, Any]) -> float:
    """How bad a miss is: opposite verdicts (indicated vs not indicated) first, abstentions next."""
    g, p = row["gold"], row["predicted"]
    if g in _ORDER and p in _ORDER:
        return abs(_ORDER[g] - _ORDER[p])
    return 1.5


def summary_lines(report: dict[str, Any]) -> list[str]:
    lat = report["latency_ms"]
    lines = [
        f"n={report['n']}  accuracy={report['determination_accuracy']:.3f} "
        f"(95% CI {report['accuracy_ci95'][0]:.3f}-{report['accuracy_ci95'][1]:.3f}; majority baseline "
        f"{report['majority_baseline']:.3f})  macro-F1={report['macro_f1']:.3f}",
        f"retrieval hit@1={report['retrieval_hit_at_1']:.3f} hit@5={report['retrieval_hit_at_5']:.3f} "
        f"MRR={report['mrr']:.3f}  gold doc cited={report['gold_doc_cited_rate']:.3f}",
        f"citations resolved={report['citation_resolve_rate']:.3f}  "
        f"bullets supported={report['supported_bullet_rate']:.3f}"
        f"  insufficient={report['insufficient_rate']:.3f}",
        f"latency p50={lat['p50']:.0f} ms p95={lat['p95']:.0f} ms max={lat['max']:.0f} ms  "
        f"throughput={report['questions_per_s']:.1f} questions/s",
        f"committed (indicated / not indicated) {_rate(report.get('committed_rate'))} of answers, "
        f"accuracy when committed {_rate(report.get('committed_accuracy'))}, "
        f"confident wrong {_rate(report.get('confident_wrong_rate'))} of all",
    ]
    if report.get("criteria_gold"):
        lines.append(
            f"criteria status accuracy={report['criteria_status_accuracy']:.3f} over {report['criteria_gold']} gold "
            f"criteria (found {report['criteria_found_rate']:.3f})  conditional recall="
            f"{_rate(report.get('conditional_recall'))} indicated recall={_rate(report.get('indicated_recall'))}"
        )
    if report.get("followups"):
        lines.append(f"follow-ups: {report['followups']}, accuracy {report['followup_accuracy']:.3f}")
    lines.append(
        f"judgements met/not met: {report.get('judgements', 0)}, "
        f"without a typed fact: {report.get('judgements_untyped', 0)}"
    )
    if report.get("engine", "offline") != "offline":
        lines.append(f"engine={report['engine']}  offline fallback rate={report.get('fallback_rate', 0.0):.3f}")
    if report.get("interrupted"):
        lines.append("INTERRUPTED: the report covers only the questions answered before Ctrl-C.")
    return lines


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def write_markdown(report: dict[str, Any], results: list[dict[str, Any]], out_dir: Path) -> Path:
    lines = [f"# GuideQA eval: {Path(report['evalset']).name} ({Path(report['gold_file']).name})", ""]
    if report.get("interrupted"):
        lines += ["**Interrupted:** this report covers only the questions answered before Ctrl-C.", ""]
    lines += ["| metric | value |", "|---|---|"]
    for key in _SCALARS:
        lines.append(f"| {key} | {report.get(key)} |")
    lat = report["latency_ms"]
    lines.append(f"| latency_ms | p50 {lat['p50']}, p95 {lat['p95']}, max {lat['max']} |")
    lines += [
        "",
        "## Per class",
        "",
        "| class | precision | recall | f1 | support |",
        "|---|---|---|---|---|",
    ]
    for label, m in report["per_class"].items():
        lines.append(f"| {label} | {m['precision']} | {m['recall']} | {m['f1']} | {m['support']} |")
    conf = report["confusion"]
    if conf:
        cols = sorted({p for row in conf.values() for p in row})
        lines += [
            "",
            "## Confusion (rows: gold, columns: predicted)",
            "",
            "| gold \\ predicted | " + " | ".join(cols) + " |",
            "|---" * (len(cols) + 1) + "|",
        ]
        for g, row in conf.items():
            lines.append(f"| {g} | " + " | ".join(str(row.get(c, 0)) for c in cols) + " |")
    misses = sorted((r for r in results if not r["correct"]), key=lambda r: (-severity(r), r["id"]))[:20]
    lines += ["", f"## Worst misses ({len(misses)} shown of {sum(not r['correct'] for r in results)})", ""]
    for r in misses:
        lines += [
            f"### {r['id']}: gold {r['gold']}, predicted {r['predicted']}",
            f"- question: {r['question']}",
            f"- answer: {r['headline']}",
            f"- gold rationale: {r.get('rationale', '')}",
            f"- gold docs {r['gold_doc_ids']}; retrieved {r['retrieved_doc_ids'][:5]}; cited {r['cited_doc_ids']}",
        ]
        for e in r.get("evidence", []):
            lines.append(f"- evidence: {e}")
        for c in r.get("criteria_detail", []):
            if c["got"] != c["gold"]:
                lines.append(f"- criterion (gold {c['gold']}, got {c['got']}): {c['criterion']}")
        lines.append("")
    lines += [
        "## Plots",
        "",
        "![confusion](confusion.png) ![latency](latency.png) ![per class](accuracy_per_class.png)",
        "",
    ]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
