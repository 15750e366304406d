"""Answer throughput after ingest: questions per second with the offline engine (target >= 10)."""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from assistant.service import Assistant
from evals.evalset import load_evalset
from evals.runner import evalset_settings
from ingest.documents import Status
from ingest.pipeline import ingest_paths
from ingest.settings import Settings
from ingest.store import Store

ROOT = Path(__file__).resolve().parents[1]
TARGET_QPS = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    default = ROOT.parent / "shared" / "evalsets" / "acr-appropriateness"
    parser.add_argument(
        "evalset",
        nargs="?",
        type=Path,
        default=default if default.exists() else ROOT / "tests" / "fixtures" / "evalset",
    )
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()

    evalset = load_evalset(args.evalset)
    settings = evalset_settings(Settings(), evalset)
    store = Store(settings)
    ingest_paths(store, [evalset.corpus], status=Status.approved)
    assistant = Assistant(settings, store=store)
    questions = [item.question for item in evalset.items]
    questions = (questions * (args.questions // len(questions) + 1))[: args.questions]
    assistant.ask(questions[0])  # warm-up: model load and caches are not throughput

    started = time.perf_counter()
    for q in questions:
        assistant.ask(q)
    seconds = time.perf_counter() - started
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    qps = len(questions) / seconds
    print(
        json.dumps(
            {
                "evalset": str(args.evalset),
                "questions": len(questions),
                "seconds": round(seconds, 2),
                "questions_per_s": round(qps, 2),
                "peak_rss_mib": round(peak_rss_mib),
            }
        )
    )
    print(f"answer throughput: {qps:.1f} questions/s, target {TARGET_QPS:.0f} -> ratio {qps / TARGET_QPS:.2f}")
    return 0 if qps >= TARGET_QPS else 1


if __name__ == "__main__":
    sys.exit(main())
