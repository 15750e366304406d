"""A synthetic corpus of N guideline documents built from the NGC summaries, for the scale benchmark.

Document k is NGC summary ``k mod 1244`` with its ``<h2>`` sections shuffled (seeded by k), a
distinct ``doc-id`` and a title naming the copy, so every synthetic document is new text to the
ingest (its chunks differ from the original's, nothing is reused) while the sizes, formats and
vocabulary stay those of a real guideline library. The text is public NGC text, only reordered:
the result is for measuring speed and memory, never for answering.

    python benchmarks/synth_corpus.py OUT_DIR --docs 12620
"""

from __future__ import annotations

import argparse
import html
import random
import re
from pathlib import Path

_SECTION = re.compile(r"(?=<h2>)")
_DOC_ID = re.compile(r'(<meta name="doc-id" content=")([^"]+)(")')
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_H1 = re.compile(r"<h1>(.*?)</h1>", re.S)


def synthesise_one(source: str, k: int) -> str:
    """Copy ``k`` of one NGC HTML summary: sections shuffled, doc-id and title made distinct."""
    match = re.search(r"<body>(.*)</body>", source, re.S)
    if match is None:
        raise ValueError("not an NGC summary: no <body>")
    head, body, tail = source[: match.start(1)], match.group(1), source[match.end(1) :]
    parts = _SECTION.split(body)
    intro, sections = parts[0], parts[1:]
    random.Random(k).shuffle(sections)
    if _DOC_ID.search(head) is None:
        raise ValueError("not an NGC summary: no doc-id")
    head = _DOC_ID.sub(lambda m: f"{m.group(1)}{m.group(2)}-syn{k}{m.group(3)}", head, count=1)
    suffix = f" (synthetic copy {k})"
    head = _TITLE.sub(lambda m: f"<title>{m.group(1)}{html.escape(suffix)}</title>", head, count=1)
    intro = _H1.sub(lambda m: f"<h1>{m.group(1)}{html.escape(suffix)}</h1>", intro, count=1)
    return head + intro + "".join(sections) + tail


def synthesise(ngc_dir: Path, out_dir: Path, n: int) -> list[Path]:
    """Write N synthetic documents into ``out_dir`` (kept if already there); returns their paths."""
    sources = sorted(ngc_dir.glob("*.html"))
    if not sources:
        raise FileNotFoundError(f"no NGC summaries (*.html) in {ngc_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(n):
        src = sources[k % len(sources)]
        path = out_dir / f"{src.stem}-syn{k}.html"
        if not path.exists():
            path.write_text(synthesise_one(src.read_text(encoding="utf-8"), k), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, required=True)
    default_ngc = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ngc-guidelines"
    parser.add_argument("--ngc", type=Path, default=default_ngc)
    args = parser.parse_args()
    print(f"{len(synthesise(args.ngc, args.out, args.docs))} documents in {args.out}")


if __name__ == "__main__":
    main()
