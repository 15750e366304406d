"""Run an evalset: ingest its corpus (once per content hash), answer every question, score, report.

Scoring re-checks each answer independently: citations are resolved against the answer's own
reference list, and every bullet is re-checked with :func:`assistant.support.supports` against the
chunk text stored in the manifest, never by reading a flag the engine set. Ctrl-C stops the run and
still writes a valid report over the questions answered so far.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from assistant.compose import insufficient
from assistant.query import QuestionError
from assistant.schema import Answer, CriterionCheck, CriterionStatus
from assistant.service import Assistant
from assistant.support import supports
from core.progress import progress_bar
from core.records import Status
from core.settings import Settings
from evals.evalset import Evalset, corpus_hash, load_evalset, stratified_sample
from evals.metrics import summarise
from evals.plots import write_plots
from evals.report import write_markdown
from ingest.pipeline import ingest_paths
from store.manifest import Manifest
from store.store import Store

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def git_commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def evalset_settings(settings: Settings, evalset: Evalset) -> Settings:
    """Settings whose data directory belongs to this corpus's content (and embedder)."""
    key = f"{evalset.name}-{corpus_hash(evalset.corpus)[:16]}-{settings.embedder}"
    return settings.model_copy(update={"home": settings.home / "evalsets" / key})


def score_answer(answer: Answer, manifest: Manifest) -> dict[str, int]:
    """Citation and support counts, re-derived from the answer and the stored chunk texts."""
    numbers = {r.number: r for r in answer.references}
    cites = [n for s in answer.sections for b in s.bullets for n in b.citations]
    cites += [n for c in answer.criteria for n in c.citations]
    stored = manifest.chunks({r.chunk_id for r in answer.references})
    bullets = [b for s in answer.sections for b in s.bullets]
    supported = 0
    for b in bullets:
        chunks = [stored.get(numbers[n].chunk_id) for n in b.citations if n in numbers]
        if any(c is not None and supports(b.text, c.text) for c in chunks):
            supported += 1
    return {
        "citations_total": len(cites),
        "citations_resolved": sum(1 for n in cites if n in numbers),
        "bullets_total": len(bullets),
        "bullets_supported": supported,
    }


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", text.lower())


def match_criterion(quote: str, answer: Answer) -> CriterionCheck | None:
    """The answer's criterion whose text best contains the gold quote (at least 60 % of its words)."""
    wanted = _words(quote)
    if not wanted:
        return None
    best: tuple[float, CriterionCheck] | None = None
    for check in answer.criteria:
        have = set(_words(check.criterion))
        if " ".join(wanted) in " ".join(_words(check.criterion)):
            return check
        share = sum(1 for w in wanted if w in have) / len(wanted)
        if best is None or share > best[0]:
            best = (share, check)
    return best[1] if best is not None and best[0] >= 0.6 else None


def score_criteria(answer: Answer, decisive: list[dict[str, str]]) -> dict[str, Any]:
    """Gold decisive criteria matched to the answer's criteria, and judgements decided without a typed fact."""
    matched = [(d, match_criterion(d["criterion"], answer)) for d in decisive]
    untyped = [c for c in answer.criteria if c.status != CriterionStatus.unknown and not c.facts]
    return {
        "criteria_gold": len(decisive),
        "criteria_found": sum(1 for _, c in matched if c is not None),
        "criteria_status_correct": sum(1 for d, c in matched if c is not None and c.status.value == d["status"]),
        "criteria_detail": [
            {"criterion": d["criterion"][:120], "gold": d["status"], "got": c.status.value if c else None}
            for d, c in matched
        ],
        "judgements": sum(1 for c in answer.criteria if c.status != CriterionStatus.unknown),
        "judgements_untyped": len(untyped),
    }


def _default_out(evalset: Evalset, gold: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("eval-runs") / f"{evalset.name}-{gold.stem}-{stamp}"


def run_eval(
    settings: Settings,
    root: Path,
    *,
    gold: Path | None = None,
    corpus: Path | None = None,
    limit: int | None = None,
    out: Path | None = None,
    console: Console | None = None,
    assistant: Assistant | None = None,
) -> tuple[dict[str, Any], Path]:
    console = console or Console(stderr=True)
    evalset = load_evalset(root, gold, corpus)
    items = stratified_sample(evalset.items, limit) if limit else evalset.items
    out_dir = out or _default_out(evalset, evalset.gold_path)
    out_dir.mkdir(parents=True, exist_ok=True)

    if assistant is None:
        eset = evalset_settings(settings, evalset)
        store = Store(eset)
        started = time.perf_counter()
        # An evalset gets its own data directory, keyed by its content: its documents count as approved.
        ingest_report = ingest_paths(store, [evalset.corpus], status=Status.approved, approved_by="evalset")
        ingest_seconds = time.perf_counter() - started
        if ingest_report.failed:
            console.print(
                f"[yellow]{len(ingest_report.failed)} documents failed to ingest; first: "
                f"{ingest_report.failed[0][1]}[/]"
            )
        assistant = Assistant(eset, store=store)
        console.print(
            f"index: {eset.home} ({store.manifest.count_documents()} documents, "
            f"{ingest_report.chunks_embedded} chunks embedded now, {ingest_seconds:.1f} s)"
        )
    else:
        ingest_seconds = 0.0
    store = assistant.store

    results: list[dict[str, Any]] = []
    interrupted = False
    results_path = out_dir / "results.jsonl"
    started = time.perf_counter()
    with (
        results_path.open("w", encoding="utf-8") as fh,
        progress_bar("eval", console) as bar,
    ):
        task = bar.add_task("", total=len(items))
        try:
            for item in items:
                t0 = time.perf_counter()
                try:
                    answer = assistant.ask(item.question, history=item.history)
                except QuestionError as exc:  # a gold question the system must refuse, e.g. empty
                    answer = insufficient(item.question, assistant.engine.name, f"Refused: {exc}")
                latency_ms = (time.perf_counter() - t0) * 1000
                row = {
                    "id": item.id,
                    "question": item.question,
                    "gold": item.determination,
                    "predicted": answer.determination.value,
                    "correct": answer.determination.value == item.determination,
                    "gold_doc_ids": item.doc_ids,
                    "cited_doc_ids": answer.cited_doc_ids(),
                    "retrieved_doc_ids": answer.retrieved_doc_ids[:10],
                    "latency_ms": round(latency_ms, 2),
                    "headline": answer.headline,
                    "answered_by": answer.engine,  # "<llm>→offline" when an LLM engine fell back
                    "evidence": [b.text for s in answer.sections for b in s.bullets][:3],
                    "rationale": item.rationale,
                    "followup": bool(item.history),
                    "understood_as": answer.understood_as,
                    **score_answer(answer, store.manifest),
                    **score_criteria(answer, item.decisive),
                }
                results.append(row)
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                accuracy = sum(r["correct"] for r in results) / len(results)
                bar.update(task, advance=1, description=f"accuracy {accuracy:.3f}")
        except KeyboardInterrupt:
            interrupted = True
    seconds = time.perf_counter() - started

    report: dict[str, Any] = {
        **summarise(results, seconds),
        "engine": assistant.engine.name,
        # LLM engines: the share of questions answered by the offline fallback (invalid or unreachable model).
        "fallback_rate": round(sum(r["answered_by"].endswith("→offline") for r in results) / len(results), 4)
        if results
        else 0.0,
        "corpus_docs": store.manifest.count_documents(),
        "git_commit": git_commit(),
        "evalset": str(evalset.root),
        "corpus": str(evalset.corpus),
        "gold_file": str(evalset.gold_path),
        "n_total": len(evalset.items),
        "limit": limit,
        "interrupted": interrupted,
        "ingest_seconds": round(ingest_seconds, 2),
        "eval_seconds": round(seconds, 2),
        "citations_checked": sum(r["citations_total"] for r in results),
        "bullets_checked": sum(r["bullets_total"] for r in results),
        "data_dir": str(store.settings.home),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    write_markdown(report, results, out_dir)
    if results:
        write_plots(report, results, out_dir)
    return report, out_dir
