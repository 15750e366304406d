"""Ingest throughput (chunks embedded per second) and the cost of a no-op re-ingest (target <= 5 %)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ingest.documents import Status, discover
from ingest.pipeline import ingest_paths
from ingest.settings import Settings
from ingest.store import Store

ROOT = Path(__file__).resolve().parents[1]
TARGET_NOOP_SHARE = 0.05


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", nargs="?", type=Path, default=ROOT / "corpus")
    parser.add_argument("--limit", type=int, default=None, help="Only the first N documents.")
    args = parser.parse_args()

    files = discover([args.corpus])[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for f in files:
            shutil.copy(f, corpus / f.name)
        store = Store(Settings(home=Path(tmp) / "home"))
        store.embedder.embed(["warm-up"])  # model load is start-up, not ingest
        t0 = time.perf_counter()
        first = ingest_paths(store, [corpus], status=Status.approved)
        t1 = time.perf_counter()
        again = ingest_paths(store, [corpus], status=Status.approved)
        t2 = time.perf_counter()
    first_s, again_s = t1 - t0, t2 - t1
    print(
        f"documents: {len(files)}, chunks: {first.chunks_embedded}, first ingest {first_s:.1f} s "
        f"({first.chunks_embedded / first_s:.1f} chunks/s), no-op re-ingest {again_s:.2f} s "
        f"({again.chunks_embedded} chunks embedded)"
    )
    share = again_s / first_s
    print(f"no-op re-ingest share: {share:.3f}, target {TARGET_NOOP_SHARE} -> ratio {TARGET_NOOP_SHARE / share:.2f}")
    return 0 if share <= TARGET_NOOP_SHARE and again.chunks_embedded == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
