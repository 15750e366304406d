"""Fixed-memory check (issue 15): every hostile document is refused under `ulimit -v 2000000` within 10 s.

    .venv/bin/python benchmarks/check_hostile_documents.py [--limit-kb 2000000] [--seconds 10]

Writes each hostile document of ``tests/hostile_docs.py`` at full size (the 571 MB DOCX bomb,
the billion-laughs front matter, 50,000-deep HTML...) into a temporary folder, then for each one
runs a fresh `guideqa docs check FILE` and a fresh `guideqa ingest FOLDER` (a folder holding only that
file; hashing embedder and in-memory vectors, so the child needs no model) with the address
space limited to ``--limit-kb`` KB (what `ulimit -v` sets); each command must finish within
``--seconds``, timed in the child after its imports (which alone take several seconds on a busy
2-core machine and do not depend on the document).
A document passes when both children exit within the limits with a one-line refusal that names
the file and its limit (that the rest of a folder is still indexed is tested in
``tests/test_hostile_documents.py``). Exit status 1 if any fails.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import hostile_docs  # noqa: E402


def _limited(limit_kb: int):  # type: ignore[no-untyped-def]
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_kb * 1024, limit_kb * 1024))

    return apply


# The child imports everything first (on a busy 2-core machine the imports alone take several seconds),
# then times the command itself: reading, refusing, and for ingest indexing the rest of the folder.
CHILD = """
import sys, time
import ui.cli, ingest.pipeline, ingest.readers, docx, pypdf, yaml, store.store
from core.lexicon import load_lexicon
load_lexicon()
started = time.perf_counter()
code = 0
try:
    ui.cli.cli(sys.argv[1:], obj={})
except SystemExit as exc:
    code = exc.code
print(f"@@ {time.perf_counter() - started:.3f}", file=sys.stderr)
sys.exit(code)
"""


def _run(args: list[str], env: dict[str, str], limit_kb: int, seconds: float) -> tuple[int | None, float, str]:
    """(exit code, seconds the command took after imports, output); exit code None when over ``seconds``."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + 120,  # imports are not counted; the command is, below
            preexec_fn=_limited(limit_kb),
        )
    except subprocess.TimeoutExpired:
        return None, float("inf"), "timed out"
    out = (proc.stdout + proc.stderr).strip()
    took = next((float(line[3:]) for line in out.splitlines() if line.startswith("@@ ")), float("inf"))
    out = "\n".join(line for line in out.splitlines() if not line.startswith("@@ "))
    return (proc.returncode if took <= seconds else None), took, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit-kb", type=int, default=2_000_000, help="address space limit (ulimit -v), KB")
    parser.add_argument("--seconds", type=float, default=10.0, help="wall-clock limit per child")
    opts = parser.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "GUIDEQA_EMBEDDER": "hashing",
            "GUIDEQA_VECTOR_STORE": "memory",
            "HF_HUB_OFFLINE": "1",
        }
        for name, make in hostile_docs.ALL.items():
            folder = Path(tmp) / name.replace(" ", "-")
            folder.mkdir()
            t0 = time.perf_counter()
            bad = make(folder)
            made = time.perf_counter() - t0
            size = bad.stat().st_size
            rc1, s1, out1 = _run(["docs", "check", str(bad)], env, opts.limit_kb, opts.seconds)
            home = Path(tmp) / f"home-{folder.name}"
            rc2, s2, out2 = _run(["--home", str(home), "ingest", str(folder)], env, opts.limit_kb, opts.seconds)
            refusal = next((line for line in out1.splitlines() if bad.name in line), "")
            ok = (
                rc1 == 1
                and rc2 == 1
                and ("GUIDEQA_" in refusal or "not accepted" in refusal)
                and "0 added" in out2
                and "1 failed" in out2
                and "Traceback" not in out1 + out2
            )
            failures += not ok
            print(
                f"{'ok  ' if ok else 'FAIL'} {name:24s} {size / 1e6:8.2f} MB (written in {made:4.1f} s)  "
                f"check {s1:4.1f} s rc={rc1}  ingest {s2:4.1f} s rc={rc2}  | {refusal.split(': ', 1)[-1][:110]}"
            )
            if not ok:
                print("    check:", out1[-600:], "\n    ingest:", out2[-600:])
            shutil.rmtree(folder)
    print(
        f"{len(hostile_docs.ALL) - failures} of {len(hostile_docs.ALL)} hostile documents refused "
        f"under ulimit -v {opts.limit_kb} within {opts.seconds:g} s"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
