"""Metrics over per-question results. Every rate says what it counts; nothing reads engine flags."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from assistant.schema import Determination

LABELS = [d.value for d in Determination]
# The scalar quality metrics of a report, in the order reports and comparisons show them.
QUALITY_METRICS = [
    "determination_accuracy",
    "macro_f1",
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
    "questions_per_s",
]
# Metrics where lower is better (comparisons colour their deltas the other way round).
LOWER_IS_BETTER = ("insufficient_rate", "confident_wrong_rate")
# Verdicts that commit to an answer; `conditional` and `insufficient_evidence` abstain (say what is missing).
COMMITTED = (Determination.indicated.value, Determination.not_indicated.value)


def bootstrap_ci(correct: list[bool], *, resamples: int = 2000, seed: int = 0) -> list[float]:
    """95 % percentile bootstrap interval of the accuracy (fixed seed: reports are reproducible)."""
    if not correct:
        return [0.0, 0.0]
    arr = np.asarray(correct, dtype=float)
    rng = np.random.default_rng(seed)
    means = arr[rng.integers(0, len(arr), size=(resamples, len(arr)))].mean(axis=1)
    return [round(float(np.percentile(means, 2.5)), 4), round(float(np.percentile(means, 97.5)), 4)]


def per_class(gold: list[str], pred: list[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for label in LABELS:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        support = tp + fn
        if support == 0 and fp == 0:
            continue
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": support,
        }
    return out


def confusion(gold: list[str], pred: list[str]) -> dict[str, dict[str, int]]:
    counts = Counter(zip(gold, pred, strict=True))
    present = [label for label in LABELS if label in gold or label in pred]
    return {g: {p: counts.get((g, p), 0) for p in present} for g in present if g in gold}


def rank_metrics(results: list[dict[str, Any]]) -> dict[str, float]:
    """hit@1, hit@5 and MRR of the gold documents in the retriever's ranked documents."""
    with_gold = [r for r in results if r.get("gold_doc_ids")]
    if not with_gold:
        return {"retrieval_hit_at_1": 0.0, "retrieval_hit_at_5": 0.0, "mrr": 0.0}
    hit1 = hit5 = rr = 0.0
    for r in with_gold:
        ranked = r["retrieved_doc_ids"]
        gold = set(r["gold_doc_ids"])
        first = next((i for i, d in enumerate(ranked) if d in gold), None)
        hit1 += first == 0
        hit5 += first is not None and first < 5
        rr += 1.0 / (first + 1) if first is not None else 0.0
    n = len(with_gold)
    return {
        "retrieval_hit_at_1": round(hit1 / n, 4),
        "retrieval_hit_at_5": round(hit5 / n, 4),
        "mrr": round(rr / n, 4),
    }


def ratio(numerator: float, denominator: float) -> float:
    """A rate; 1.0 when there is nothing to count (no citation can fail to resolve)."""
    return round(numerator / denominator, 4) if denominator else 1.0


def latency(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0}
    arr = np.asarray(ms)
    return {
        "p50": round(float(np.percentile(arr, 50)), 2),
        "p95": round(float(np.percentile(arr, 95)), 2),
        "max": round(float(arr.max()), 2),
    }


def criteria_metrics(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Criterion-status accuracy over the gold decisive criteria (a gold criterion the answer does not show
    counts as wrong), follow-up accuracy, and how many met / not met judgements had no typed fact."""
    gold_n = sum(r.get("criteria_gold", 0) for r in results)
    followups = [r for r in results if r.get("followup")]
    return {
        "criteria_status_accuracy": ratio(sum(r.get("criteria_status_correct", 0) for r in results), gold_n)
        if gold_n
        else None,
        "criteria_gold": gold_n,
        "criteria_found_rate": ratio(sum(r.get("criteria_found", 0) for r in results), gold_n) if gold_n else None,
        "judgements": sum(r.get("judgements", 0) for r in results),
        "judgements_untyped": sum(r.get("judgements_untyped", 0) for r in results),
        "followup_accuracy": ratio(sum(r["correct"] for r in followups), len(followups)) if followups else None,
        "followups": len(followups),
    }


def summarise(results: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    gold = [r["gold"] for r in results]
    pred = [r["predicted"] for r in results]
    correct = [r["correct"] for r in results]
    classes = per_class(gold, pred)
    gold_labels = [label for label in LABELS if label in gold]
    macro = float(np.mean([classes[label]["f1"] for label in gold_labels])) if gold_labels else 0.0
    majority = Counter(gold).most_common(1)[0][1] / len(gold) if gold else 0.0
    committed = [r for r in results if r["predicted"] in COMMITTED]
    with_gold_docs = [r for r in results if r.get("gold_doc_ids")]
    return {
        "n": len(results),
        "determination_accuracy": round(sum(correct) / len(correct), 4) if correct else 0.0,
        "accuracy_ci95": bootstrap_ci(correct),
        "majority_baseline": round(majority, 4),
        "macro_f1": round(macro, 4),
        "per_class": classes,
        "confusion": confusion(gold, pred),
        **rank_metrics(results),
        "gold_doc_cited_rate": ratio(
            sum(1 for r in with_gold_docs if set(r["gold_doc_ids"]) & set(r["cited_doc_ids"])),
            len(with_gold_docs),
        ),
        "citation_resolve_rate": ratio(
            sum(r["citations_resolved"] for r in results), sum(r["citations_total"] for r in results)
        ),
        "supported_bullet_rate": ratio(
            sum(r["bullets_supported"] for r in results), sum(r["bullets_total"] for r in results)
        ),
        "insufficient_rate": ratio(sum(1 for p in pred if p == Determination.insufficient_evidence.value), len(pred)),
        # Selective answering: how often the engine commits (indicated / not indicated), how often it is
        # right when it does, and the share of all questions given a confident wrong verdict (the worst
        # answer: an abstention at least says what is missing). An engine that abstains honestly keeps
        # committed_accuracy above the majority baseline even when its overall accuracy is not.
        "committed_rate": ratio(len(committed), len(results)),
        "committed_accuracy": (  # None, not a perfect 1.0, when the engine never committed
            ratio(sum(1 for r in committed if r["correct"]), len(committed)) if committed else None
        ),
        "confident_wrong_rate": ratio(sum(1 for r in committed if not r["correct"]), len(results)),
        # The known failure of LLM reviewers is calling undeterminable cases eligible: conditional recall
        # is reported on its own, beside indicated recall.
        "conditional_recall": classes.get("conditional", {}).get("recall"),
        "indicated_recall": classes.get("indicated", {}).get("recall"),
        **criteria_metrics(results),
        "latency_ms": latency([r["latency_ms"] for r in results]),
        "questions_per_s": round(len(results) / seconds, 2) if seconds > 0 else 0.0,
    }
