"""PNG plots for an eval run (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def write_plots(report: dict[str, Any], results: list[dict[str, Any]], out_dir: Path) -> list[Path]:
    paths = [_confusion(report, out_dir), _latency(results, out_dir), _per_class(results, out_dir)]
    plt.close("all")
    return paths


def _confusion(report: dict[str, Any], out_dir: Path) -> Path:
    conf = report["confusion"]
    gold = list(conf)
    pred = sorted({p for row in conf.values() for p in row})
    matrix = np.array([[conf[g].get(p, 0) for p in pred] for g in gold])
    fig, ax = plt.subplots(figsize=(6, 4.5))
    im = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(pred)), [p.replace("_", "\n") for p in pred])
    ax.set_yticks(range(len(gold)), [g.replace("_", "\n") for g in gold])
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for i in range(len(gold)):
        for j in range(len(pred)):
            ax.text(
                j,
                i,
                str(matrix[i, j]),
                ha="center",
                va="center",
                color="white" if matrix[i, j] > matrix.max() / 2 else "black",
            )
    ax.set_title(f"Confusion (n={report['n']}, accuracy {report['determination_accuracy']:.3f})")
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    path = out_dir / "confusion.png"
    fig.savefig(path, dpi=120)
    return path


def _latency(results: list[dict[str, Any]], out_dir: Path) -> Path:
    ms = [r["latency_ms"] for r in results]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(ms, bins=min(40, max(5, len(ms) // 5)), color="#4477aa")
    ax.axvline(float(np.percentile(ms, 50)), color="black", linestyle="--", label="p50")
    ax.axvline(float(np.percentile(ms, 95)), color="red", linestyle=":", label="p95")
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.legend()
    ax.set_title("Answer latency")
    fig.tight_layout()
    path = out_dir / "latency.png"
    fig.savefig(path, dpi=120)
    return path


def _per_class(results: list[dict[str, Any]], out_dir: Path) -> Path:
    labels = sorted({r["gold"] for r in results})
    acc = [np.mean([r["correct"] for r in results if r["gold"] == label]) for label in labels]
    support = [sum(1 for r in results if r["gold"] == label) for label in labels]
    fig, ax = plt.subplots(figsize=(6, 4))
    bars = ax.bar([label.replace("_", "\n") for label in labels], acc, color="#66aa55")
    for bar, n in zip(bars, support, strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 0.01, f"n={n}", ha="center")
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("accuracy (recall of the gold class)")
    ax.set_title("Accuracy per gold class")
    fig.tight_layout()
    path = out_dir / "accuracy_per_class.png"
    fig.savefig(path, dpi=120)
    return path
