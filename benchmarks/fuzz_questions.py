"""Fuzz `Assistant.ask` with arbitrary text (issue 15): every question is answered or refused clearly.

    .venv/bin/python benchmarks/fuzz_questions.py [--examples 10000] [--home DIR]

Builds (once, in ``--home``, default a temporary folder) an index of the synthetic fixture corpus
with the packaged MiniLM in real Chroma, then lets hypothesis generate ``--examples`` questions,
each with up to two earlier turns: any Unicode text (lone surrogates, controls, escape sequences,
noncharacters, every plane), invalid UTF-8 as a shell delivers it (surrogateescape), and those
mixed into real question shapes. An answer must serialise as JSON; a ``QuestionError`` is the
clear refusal; anything else is counted as unhandled, with its type and where it was raised.
Prints the counts and exits 1 when any exception was unhandled. The bounded version (a few hundred
examples) runs in `make test`: ``tests/test_hostile_questions.py``.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.settings import apply_offline_defaults  # noqa: E402

apply_offline_defaults()

from hypothesis import HealthCheck, Phase, given  # noqa: E402
from hypothesis import settings as hsettings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from assistant.query import QuestionError  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from core.records import Status  # noqa: E402
from core.settings import Settings  # noqa: E402
from ingest.pipeline import ingest_paths  # noqa: E402
from store.store import Store  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "evalset" / "corpus"
SHAPES = [
    "Is {} lumbar MRI indicated {}?",
    "Are 64635 and 64636 indicated for M47.817 {} with {}?",
    "{} Thunderclap headache. Non-con head CT{}?",
    "What about {} the cervical region {}",
]
TEXT = st.one_of(
    st.text(max_size=400),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=200),
    st.text(alphabet=st.characters(codec=None, categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"]), max_size=60),
    st.builds(
        lambda shape, a, b: shape.format(a, b), st.sampled_from(SHAPES), st.text(max_size=60), st.text(max_size=60)
    ),
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", errors="surrogateescape")),
    st.builds(lambda n: "x" * n, st.integers(min_value=1900, max_value=20_000)),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--home", type=Path, default=None, help="data directory (default: a temporary one)")
    opts = parser.parse_args()
    tmp = None
    home = opts.home
    if home is None:
        tmp = tempfile.mkdtemp(prefix="guideqa-fuzz-")
        home = Path(tmp) / "home"
    settings = Settings(home=home)
    if not settings.manifest_path.exists():
        report = ingest_paths(Store(settings), [CORPUS], status=Status.approved)
        assert not report.failed, report.failed
    assistant = Assistant(settings)
    counts: collections.Counter[str] = collections.Counter()
    unhandled: collections.Counter[str] = collections.Counter()
    first: dict[str, str] = {}

    @hsettings(
        max_examples=opts.examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(question=TEXT, history=st.lists(TEXT, max_size=2))
    def ask(question: str, history: list[str]) -> None:
        counts["asked"] += 1
        try:
            assistant.ask(question, history=history).model_dump_json()
            counts["answered"] += 1
        except QuestionError:
            counts["refused"] += 1
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            key = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
            unhandled[key] += 1
            first.setdefault(key, repr(question)[:200])

    started = time.perf_counter()
    ask()
    seconds = time.perf_counter() - started
    print(
        f"fuzz_questions: {counts['asked']} questions in {seconds:.0f} s: {counts['answered']} answered, "
        f"{counts['refused']} refused with a QuestionError, {sum(unhandled.values())} unhandled"
    )
    for key, n in unhandled.most_common():
        print(f"  {n:5d} {key}  e.g. {first[key]}")
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if unhandled else 0


if __name__ == "__main__":
    sys.exit(main())
