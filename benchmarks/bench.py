"""`make bench`: GuideQA's speed measured against the raw floor of the parts it is built from.

Every figure that has a goal is a ratio of two things measured in the same run (warm answer vs
bare retrieval, ingest vs bare ``SentenceTransformer.encode``, large corpus vs small corpus), so
a busy machine slows both sides and the ratio stays meaningful where absolute timings would not.

Each part runs in its own child process: the cold start needs a fresh interpreter anyway, and
peak memory is then attributable to one corpus. Results go to ``benchmarks/results/latest.json``
and are printed as the same figures. Indexes are opened through the normal :class:`Store`; an
evalset's index is built (slowly) only when its data directory is missing.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ACR_EVALSET = SHARED / "evalsets" / "acr-appropriateness"
NGC_CORPUS = SHARED / "corpora" / "ngc-guidelines"
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
FIXTURE_EVALSET = ROOT / "tests" / "fixtures" / "evalset"
COLD_QUESTION = (
    "Are procedures 64635 and 64636 medically indicated for a patient with M47.817 spondylosis without "
    "myelopathy or radiculopathy, lumbosacral region, and a history of prior spinal fusion?"
)

# key -> (goal, "le" | "ge")
GOALS: dict[str, tuple[float, str]] = {
    "answer_p50_ratio": (1.3, "le"),
    "ingest_ratio": (0.85, "ge"),
    "scale_p95_ratio": (1.5, "le"),
    "cold_ask_s": (5.0, "le"),
    "peak_rss_mb": (2000.0, "le"),
    "answer_qps": (10.0, "ge"),  # evaluation throughput, offline engine
    "api_p50_ratio": (1.2, "le"),  # POST /v1/answers through `guideqa serve` vs in-process ask
    "noop_reingest_share": (0.05, "le"),  # re-ingesting an unchanged corpus vs the first ingest
    "noop_reingest_embedded": (0, "le"),
    # the grow part (issue 16): a corpus ten times larger, built from scratch in the same run
    "grow_ingest_rss_ratio": (1.2, "le"),
    "grow_docs_per_s_ratio": (0.8, "ge"),
    "grow_approve_ratio": (1.5, "le"),
    "grow_answer_p95_ratio": (1.5, "le"),
    "grow_ingest_peak_rss_mb": (1000.0, "le"),
}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


# ------------------------------------------------------------------ evalset data directories
def scale_evalset(root: Path) -> Path:
    """An evalset folder holding the ACR corpus plus every NGC document, as symlinks (no copies)."""
    corpus = root / "corpus"
    if not corpus.is_dir():
        corpus.mkdir(parents=True)
        for src in (ACR_EVALSET / "corpus", NGC_CORPUS):
            for f in sorted(src.iterdir()):
                link = corpus / f.name
                if not link.exists():
                    link.symlink_to(f.resolve())
    gold = root / "gold.jsonl"
    if not gold.exists():
        shutil.copy(ACR_EVALSET / "gold.jsonl", gold)
    return root


def grow_evalset(root: Path, docs: int) -> Path:
    """An evalset folder of ``docs`` synthetic NGC documents (:mod:`benchmarks.synth_corpus`) and the ACR gold.

    The gold questions are only asked for latency (the same questions at every size); the synthetic
    documents are never scored.
    """
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from synth_corpus import synthesise

    folder = root / f"grow-{docs}"
    wanted = set(synthesise(NGC_CORPUS, folder / "corpus", docs))
    for path in sorted(set((folder / "corpus").glob("*.html")) - wanted):  # left by a larger run into the same folder
        path.unlink()
    gold = folder / "gold.jsonl"
    if not gold.exists():
        shutil.copy(ACR_EVALSET / "gold.jsonl", gold)
    return folder


def _open_evalset(evalset_dir: Path, home: Path) -> tuple[Any, list[str]]:
    """Settings of the evalset's data directory under ``home`` (ingesting only if it is missing)."""
    from core.records import Status
    from core.settings import Settings
    from evals.evalset import load_evalset
    from evals.runner import evalset_settings

    evalset = load_evalset(evalset_dir)
    settings = evalset_settings(Settings(home=home), evalset)
    if not settings.manifest_path.exists():
        from ingest.pipeline import ingest_paths
        from store.store import Store

        print(f"bench: no index in {settings.home}; ingesting {evalset.corpus} (slow, once)", file=sys.stderr)
        store = Store(settings)
        ingest_paths(store, [evalset.corpus], status=Status.approved, approved_by="benchmark")
        store.close()
    return settings, [item.question for item in evalset.items]


def _spread(questions: list[str], n: int) -> list[str]:
    """n questions spread evenly over the gold file (it is grouped by document)."""
    if n >= len(questions):
        return list(questions)
    step = len(questions) / n
    return [questions[int(i * step)] for i in range(n)]


# -------------------------------------------------------------------------------- phases
def phase_answer(args: argparse.Namespace) -> dict[str, Any]:
    """Warm `ask` latency and, question by question, the retrieval floor it is measured against."""
    from assistant.service import Assistant
    from core.textnorm import terms
    from store.store import Store

    settings, questions = _open_evalset(Path(args.evalset), Path(args.home))
    store = Store(settings)
    assistant = Assistant(settings, store=store)
    questions = _spread(questions, args.questions)
    embedder, vectors, keywords = store.embedder, store.vectors, store.keywords

    def floor(q: str) -> float:
        t0 = time.perf_counter()
        vector = embedder.embed([q])[0]
        vectors.query(vector, settings.dense_k, status="approved")
        keywords.search(terms(q), settings.bm25_k)
        return (time.perf_counter() - t0) * 1000

    for q in questions[:3]:  # warm caches on both paths
        assistant.ask(q)
        floor(q)
    answer_ms: list[float] = []
    floor_ms: list[float] = []
    for q in questions:  # interleaved, so load on the machine hits both sides alike
        floor_ms.append(floor(q))
        t0 = time.perf_counter()
        assistant.ask(q)
        answer_ms.append((time.perf_counter() - t0) * 1000)
    return {
        "questions": len(questions),
        "answer_qps": 1000 * len(answer_ms) / sum(answer_ms),
        "answer_p50_ms": _percentile(answer_ms, 0.5),
        "answer_p95_ms": _percentile(answer_ms, 0.95),
        "floor_p50_ms": _percentile(floor_ms, 0.5),
        "floor_p95_ms": _percentile(floor_ms, 0.95),
        "corpus_docs": store.manifest.count_documents(),
        "chunks": store.manifest.count_chunks(),
        "peak_rss_mb": _peak_rss_mb(),
    }


def phase_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """End-to-end ingest of N documents vs bare ``SentenceTransformer.encode`` of their chunk texts.

    Document by document, alternately (ingest one, then encode exactly its chunk texts), so a
    machine whose load changes over the minutes this takes weighs on both sides alike.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    from core.records import Status
    from core.settings import Settings
    from evals.evalset import load_evalset
    from ingest.documents import discover
    from ingest.pipeline import ingest_paths
    from store.bert_encoder import DEFAULT_THREADS
    from store.store import Store

    evalset = load_evalset(Path(args.evalset))
    files = discover([evalset.corpus])[: args.ingest_docs]
    ingest_s = encode_s = 0.0
    failed = encoded = 0
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Settings(home=Path(tmp) / "home"))
        model_dir = getattr(store.embedder, "model_dir", None)
        if model_dir is None:
            raise SystemExit("bench: the ingest ratio needs the minilm embedder (GUIDEQA_EMBEDDER=minilm)")
        batch = store.settings.embed_batch_size
        model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        # Start-up, not ingest: loading the models, opening Chroma, importing the chunker.
        store.embedder.embed(["warm-up"] * batch)
        model.encode(["warm-up"] * batch, batch_size=batch)
        store.vectors.count()
        import llama_index.core.node_parser  # noqa: F401

        folders: list[Path] = []
        for i, f in enumerate(files):
            # One folder per document: each round loads only its new document, as an editor's
            # incremental ingest would (re-reading all earlier ones would make the rounds quadratic).
            folders.append(Path(tmp) / f"corpus-{i}")
            folders[-1].mkdir()
            shutil.copy(f, folders[-1] / f.name)
            known = {r.doc_id for r in store.manifest.documents()}
            t0 = time.perf_counter()
            report = ingest_paths(store, [folders[-1]], status=Status.approved, approved_by="benchmark")
            ingest_s += time.perf_counter() - t0
            failed += len(report.failed)
            texts = [t for d in report.added if d not in known for _, t in store.manifest.embed_texts(d)]
            # The encoder drops to one thread for small calls (table captions): the bare encode must
            # not inherit that, or it would run on different settings than the ingest it is the floor of.
            torch.set_num_threads(DEFAULT_THREADS)
            t0 = time.perf_counter()
            model.encode(texts, batch_size=batch, normalize_embeddings=True)
            encode_s += time.perf_counter() - t0
            encoded += len(texts)
        t0 = time.perf_counter()
        again = ingest_paths(
            store, folders, status=Status.approved, approved_by="benchmark"
        )  # nothing changed: must be cheap
        noop_s = time.perf_counter() - t0
        chunks = store.manifest.count_chunks()
        store.close()
    return {
        "ingest_docs": len(files),
        "ingest_chunks": chunks,
        "ingest_failed": failed,
        "ingest_s": ingest_s,
        "noop_reingest_share": noop_s / ingest_s,
        "noop_reingest_embedded": again.chunks_embedded,
        "encode_s": encode_s,
        "ingest_chunks_per_s": chunks / ingest_s,
        "encode_chunks_per_s": encoded / encode_s,
    }


def phase_build(args: argparse.Namespace) -> dict[str, Any]:
    """Build an evalset's index from scratch, as `guideqa ingest` does, then time editor approvals on it.

    Peak RSS is this process's, read right after the build: the embedding model, Chroma and the
    manifest included. Approval latency: ``--approvals`` documents each get a revised file ingested
    as a new submitted revision, are reviewed, then the approval alone is timed (the revision swap,
    the keyword index update and the Chroma status flip: what an editor's click costs).
    """
    from core.records import Status
    from core.settings import Settings
    from editorial.lifecycle import transition
    from editorial.users import User
    from evals.evalset import load_evalset
    from evals.runner import evalset_settings
    from ingest.pipeline import ingest_paths
    from store.store import Store

    evalset = load_evalset(Path(args.evalset))
    settings = evalset_settings(Settings(home=Path(args.home)), evalset)
    shutil.rmtree(settings.home, ignore_errors=True)
    store = Store(settings)
    # Start-up, not ingest (it counts in the RSS, not in the time): the embedding model, the
    # clinical reader (spaCy + ConText) the rule compiler uses, the chunker.
    from core.lexicon.reader import read

    store.embedder.embed(["warm-up"])
    read("No leg pain after two medial branch blocks.")
    import llama_index.core.node_parser  # noqa: F401

    t0 = time.perf_counter()
    report = ingest_paths(store, [evalset.corpus], status=Status.approved, approved_by="benchmark")
    build_s = time.perf_counter() - t0
    rss = _peak_rss_mb()
    docs = store.manifest.count_documents()
    editor = User("benchmark", "editor")
    approve_ms: list[float] = []
    heads = sorted(store.manifest.heads(), key=lambda r: r.doc_id)
    step = max(1, len(heads) // max(1, args.approvals))
    with tempfile.TemporaryDirectory() as tmp:
        for i, record in enumerate(heads[::step][: args.approvals]):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            source = Path(record.path)
            revised = source.read_text(encoding="utf-8").replace("</body>", "<p>Revised for the benchmark.</p></body>")
            (folder / source.name).write_text(revised, encoding="utf-8")
            ingest_paths(store, [folder])  # a new revision, submitted (not authorised to approve)
            transition(store, editor, record.doc_id, "review")
            t0 = time.perf_counter()
            transition(store, editor, record.doc_id, "approve")
            approve_ms.append((time.perf_counter() - t0) * 1000)
    chunks = store.manifest.count_chunks()
    store.close()
    return {
        "docs": docs,
        "chunks": chunks,
        "failed": len(report.failed),
        "build_s": build_s,
        "docs_per_s": docs / build_s,
        "ingest_peak_rss_mb": rss,
        "approve_p50_ms": _percentile(approve_ms, 0.5),
        "approve_max_ms": max(approve_ms, default=float("nan")),
    }


def phase_cold(args: argparse.Namespace) -> dict[str, Any]:
    """A fresh `guideqa ask` process, from exec to its printed answer, against the ACR index."""
    settings, _ = _open_evalset(Path(args.evalset), Path(args.home))
    exe = Path(sys.executable).with_name("guideqa")
    runs: list[float] = []
    for _ in range(args.cold_runs):
        t0 = time.perf_counter()
        done = subprocess.run(
            [str(exe), "--home", str(settings.home), "ask", COLD_QUESTION],
            capture_output=True,
            text=True,
            check=False,
        )
        runs.append(time.perf_counter() - t0)
        if done.returncode != 0 or not done.stdout.strip():
            raise SystemExit(f"bench: cold ask failed ({done.returncode}): {done.stderr[-2000:]}")
    return {"cold_ask_s": statistics.median(runs), "cold_ask_runs_s": runs}


def phase_api(args: argparse.Namespace) -> dict[str, Any]:
    """`POST /v1/answers` through a real `guideqa serve` vs in-process `Assistant.ask`, question by question.

    Both answer from the same index; the server runs in its own process on a loopback port with a
    throw-away token (its tokens file lives in a temporary folder, the data directory is untouched)."""
    import os
    import socket

    import httpx

    from assistant.service import Assistant
    from editorial.tokens import add_token

    settings, questions = _open_evalset(Path(args.evalset), Path(args.home))
    questions = _spread(questions, args.questions)
    assistant = Assistant(settings)
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        tokens_file = Path(tmp) / "tokens.json"
        token = add_token(tokens_file, "bench", "physician")
        env = {
            **os.environ,
            "GUIDEQA_TOKENS_FILE": str(tokens_file),
            "GUIDEQA_API_RATE_PER_MINUTE": "1000000",
            "GUIDEQA_API_RATE_BURST": "1000000",
        }
        exe = Path(sys.executable).with_name("guideqa")
        cmd = [str(exe), "--home", str(settings.home), "serve", "--port", str(port)]
        with (Path(tmp) / "server.log").open("w") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            client = httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
            deadline = time.monotonic() + 180
            while True:
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"bench: guideqa serve did not become ready: {(Path(tmp) / 'server.log').read_text()[-2000:]}"
                    )
                time.sleep(0.3)

            def over_http(q: str) -> float:
                t0 = time.perf_counter()
                response = client.post("/v1/answers", json={"question": q})
                response.raise_for_status()
                return (time.perf_counter() - t0) * 1000

            def in_process(q: str) -> float:
                t0 = time.perf_counter()
                assistant.ask(q)
                return (time.perf_counter() - t0) * 1000

            for q in questions[:3]:  # warm both
                over_http(q)
                in_process(q)
            api_ms: list[float] = []
            ask_ms: list[float] = []
            for q in questions:
                api_ms.append(over_http(q))
                ask_ms.append(in_process(q))
            client.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {
        "api_questions": len(questions),
        "api_p50_ms": _percentile(api_ms, 0.5),
        "api_ask_p50_ms": _percentile(ask_ms, 0.5),
        "api_p95_ms": _percentile(api_ms, 0.95),
    }


PHASES = {
    "answer": phase_answer,
    "ingest": phase_ingest,
    "cold": phase_cold,
    "api": phase_api,
    "build": phase_build,
}


def _child(phase: str, args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--phase", phase, "--home", str(extra.get("home", args.home))]
    cmd += ["--questions", str(args.questions), "--ingest-docs", str(args.ingest_docs)]
    cmd += ["--cold-runs", str(args.cold_runs), "--evalset", str(extra.get("evalset", args.evalset))]
    cmd += ["--approvals", str(args.approvals)]
    print(f"bench: {phase} ({extra.get('label', args.evalset)}) ...", file=sys.stderr, flush=True)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"bench: phase {phase} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _grow(args: argparse.Namespace) -> dict[str, Any]:
    """Build the small and the large synthetic corpus from scratch, each in its own process, then answer from each."""
    small_n, big_n = (int(n) for n in args.grow_docs.split(","))
    out: dict[str, Any] = {"grow_embedder": _embedder_name()}
    sides = {}
    for tag, n in (("small", small_n), ("big", big_n)):
        folder = grow_evalset(args.grow_dir, n)
        home = args.grow_dir / "homes"
        t0 = time.perf_counter()
        built = _child("build", args, evalset=folder, home=home, label=f"{n} synthetic documents")
        answered = _child("answer", args, evalset=folder, home=home, label=f"{n} synthetic documents")
        sides[tag] = (built, answered)
        out[f"grow_{tag}_docs"] = built["docs"]
        out[f"grow_{tag}_chunks"] = built["chunks"]
        out[f"grow_{tag}_build_s"] = built["build_s"]
        out[f"grow_{tag}_docs_per_s"] = built["docs_per_s"]
        out[f"grow_{tag}_ingest_rss_mb"] = built["ingest_peak_rss_mb"]
        out[f"grow_{tag}_approve_p50_ms"] = built["approve_p50_ms"]
        out[f"grow_{tag}_answer_p95_ms"] = answered["answer_p95_ms"]
        out[f"grow_{tag}_answer_rss_mb"] = answered["peak_rss_mb"]
        out[f"grow_{tag}_wall_s"] = time.perf_counter() - t0
    (small_b, small_a), (big_b, big_a) = sides["small"], sides["big"]
    out["grow_ingest_peak_rss_mb"] = max(small_b["ingest_peak_rss_mb"], big_b["ingest_peak_rss_mb"])
    out["grow_ingest_rss_ratio"] = big_b["ingest_peak_rss_mb"] / small_b["ingest_peak_rss_mb"]
    out["grow_docs_per_s_ratio"] = big_b["docs_per_s"] / small_b["docs_per_s"]
    out["grow_approve_ratio"] = big_b["approve_p50_ms"] / small_b["approve_p50_ms"]
    out["grow_answer_p95_ratio"] = big_a["answer_p95_ms"] / small_a["answer_p95_ms"]
    return out


def _embedder_name() -> str:
    from core.settings import Settings

    return Settings().embedder


def _verdict(key: str, value: float) -> str:
    goal, sense = GOALS[key]
    ok = value <= goal if sense == "le" else value >= goal
    return f"{'ok  ' if ok else 'MISS'} goal {'<=' if sense == 'le' else '>='} {goal:g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, default=ROOT / ".guideqa", help="Data directory holding evalsets/.")
    parser.add_argument("--evalset", type=Path, default=ACR_EVALSET if ACR_EVALSET.exists() else FIXTURE_EVALSET)
    parser.add_argument("--questions", type=int, default=60, help="Questions per latency measurement.")
    parser.add_argument("--ingest-docs", type=int, default=8, help="Documents ingested for the ingest ratio.")
    parser.add_argument("--cold-runs", type=int, default=3, help="Fresh processes timed (median reported).")
    parser.add_argument("--scale-evalset", type=Path, default=Path(tempfile.gettempdir()) / "acr-ngc")
    parser.add_argument("--only", default="answer,ingest,cold,api,scale,grow", help="Comma-separated parts to run.")
    parser.add_argument(
        "--grow-docs",
        default="1380,13800",
        help="grow part: the two corpus sizes (synthetic NGC documents), built from scratch and compared.",
    )
    parser.add_argument("--grow-dir", type=Path, default=Path(tempfile.gettempdir()) / "guideqa-grow")
    parser.add_argument("--approvals", type=int, default=5, help="grow part: approvals timed at each size.")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return 0

    parts = set(args.only.split(","))
    out: dict[str, Any] = {"evalset": str(args.evalset), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if "answer" in parts:
        small = _child("answer", args)
        out.update({k: small[k] for k in ("answer_qps", "answer_p50_ms", "answer_p95_ms", "floor_p50_ms")})
        out["floor_p95_ms"] = small["floor_p95_ms"]
        out["answer_p50_ratio"] = small["answer_p50_ms"] / small["floor_p50_ms"]
        out.update({f"acr_{k}": small[k] for k in ("corpus_docs", "chunks", "peak_rss_mb")})
        out.update({k: small[k] for k in ("corpus_docs", "chunks", "peak_rss_mb")})
    if "ingest" in parts:
        ing = _child("ingest", args)
        out.update(ing)
        out["ingest_ratio"] = ing["ingest_chunks_per_s"] / ing["encode_chunks_per_s"]
    if "cold" in parts:
        out.update(_child("cold", args))
    if "api" in parts:
        api = _child("api", args)
        out.update(api)
        out["api_p50_ratio"] = api["api_p50_ms"] / api["api_ask_p50_ms"]
    if "scale" in parts:
        if not (ACR_EVALSET.exists() and NGC_CORPUS.exists()):
            print(f"bench: scale part skipped: {ACR_EVALSET} or {NGC_CORPUS} is absent", file=sys.stderr)
            out["scale_skipped"] = "shared corpora absent"
        else:
            big = _child("answer", args, evalset=scale_evalset(args.scale_evalset), label="ACR + NGC")
            out["scale_answer_p95_ms"] = big["answer_p95_ms"]
            out["scale_answer_p50_ms"] = big["answer_p50_ms"]
            out.update({k: big[k] for k in ("corpus_docs", "chunks", "peak_rss_mb")})
            if "answer_p95_ms" in out:
                out["scale_p95_ratio"] = big["answer_p95_ms"] / out["answer_p95_ms"]
    if "grow" in parts:
        if not (ACR_EVALSET.exists() and NGC_CORPUS.exists()):
            print(f"bench: grow part skipped: {ACR_EVALSET} or {NGC_CORPUS} is absent", file=sys.stderr)
            out["grow_skipped"] = "shared corpora absent"
        else:
            out.update(_grow(args))
    out = {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")

    missed = 0
    for key, value in out.items():
        line = f"{key:24} {value}"
        if key in GOALS and isinstance(value, (int, float)):
            line += f"   {_verdict(key, value)}"
            missed += "MISS" in line
        print(line)
    print(f"written: {RESULTS.relative_to(ROOT)}")
    return 1 if missed else 0


if __name__ == "__main__":
    from core.settings import apply_offline_defaults

    apply_offline_defaults()  # this script and each child phase are entry points
    sys.exit(main())
