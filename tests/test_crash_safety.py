"""kill -9 a real ingest process at several points, then check Chroma against the manifest; one writer at a time.

The ingest runs in a subprocess with real Chroma; it uses the hashing embedder because these tests
are about what survives a crash (Chroma, the manifest, the BM25 files), not about relevance, and
MiniLM would only make each run slower.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.records import Status
from core.settings import Settings
from ingest.pipeline import INDEXING, ingest_paths
from store.lock import LockBusyError
from store.store import Store
from tests.conftest import FIXTURE_CORPUS, ROOT
from ui.cli import cli

N_COPIES = 4  # 4 fixture documents x 4 = 16 documents per run

INGEST_SCRIPT = """
import sys
from pathlib import Path
from core.records import Status
from core.settings import Settings, apply_offline_defaults
apply_offline_defaults()
from ingest.pipeline import ingest_paths
from store.store import Store

def progress(event, item):
    print(event, item, flush=True)

store = Store(Settings(home=Path(sys.argv[1]), embedder="hashing"))
report = ingest_paths(store, [Path(sys.argv[2])], status=Status.approved, progress=progress, approved_by="test-editor")
print("done", len(report.added) + len(report.updated), flush=True)
"""


def _corpus(folder: Path, edition: int) -> Path:
    """16 documents: the fixtures under new doc_ids; each edition changes every document's text."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted(FIXTURE_CORPUS.iterdir()):
        text = source.read_text()
        for i in range(N_COPIES):
            new_id = f"{source.stem}-c{i}"
            body = text.replace(source.stem, new_id)
            marker = f"Edition {edition} of copy {i}."
            body = (
                body.replace("</body>", f"<p>{marker}</p></body>")
                if source.suffix == ".html"
                else body + f"\n{marker}\n"
            )
            (folder / f"{new_id}{source.suffix}").write_text(body)
    return folder


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "GUIDEQA_HOME": str(home), "GUIDEQA_EMBEDDER": "hashing", "PYTHONPATH": str(ROOT)}


def _ingest_killed_after(home: Path, corpus: Path, events: int, extra_delay_s: float) -> bool:
    """Start an ingest, kill -9 it after ``events`` progress events (+ a delay); True if it was killed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", INGEST_SCRIPT, str(home), str(corpus)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(home),
        cwd=ROOT,
    )
    assert proc.stdout is not None
    seen = 0
    try:
        for line in proc.stdout:
            if line.startswith("done"):
                break
            if line.split()[0] in ("indexed", "unchanged"):
                seen += 1
            if seen >= events:
                time.sleep(extra_delay_s)
                break
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        return killed
    finally:
        proc.stdout.close()


def _check_after_crash(home: Path) -> None:
    """Straight after a kill: everything committed has its vector; nothing half-indexed is served."""
    store = Store(Settings(home=home, embedder="hashing"))
    live = store.manifest.chunk_ids()
    assert live <= store.vectors.ids()
    served = store.manifest.served_chunk_ids()
    for doc_id, rev in store.manifest.served_revisions().items():
        record = store.manifest.revision(doc_id, rev)
        assert record is not None and len(store.manifest.rev_chunk_ids(doc_id, rev)) == record.n_chunks
    assert served <= live
    store.close()


def _check_consistent(home: Path, corpus: Path, edition: int) -> None:
    """After a complete run: Chroma holds exactly the manifest's chunks, with the manifest's statuses."""
    store = Store(Settings(home=home, embedder="hashing"))
    docs = {r.doc_id: r for r in store.manifest.documents()}
    assert set(docs) == {p.stem for p in corpus.iterdir()}
    assert all(r.served and r.status == "approved" for r in docs.values())
    assert all(f"Edition {edition} of copy" in " ".join(c.text for c in store.manifest.doc_chunks(d)) for d in docs)
    live = store.manifest.chunk_ids()
    assert store.vectors.ids() == live
    assert set(store.keywords.ids) == live
    assert not store.manifest.pending_sync()
    statuses = {m["status"] for m in store.vectors.metadata(sorted(live)).values()}
    assert statuses == {"approved"} and INDEXING not in statuses
    assert store.manifest.served_chunk_ids() == live
    store.close()


def _rerun_ingest(home: Path, corpus: Path) -> None:
    """Run the same ingest again, to completion, as an operator would after the crash."""
    subprocess.run(
        [sys.executable, "-c", INGEST_SCRIPT, str(home), str(corpus)],
        check=True,
        env=_env(home),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("events", "delay_s"),
    [(0, 0.0), (2, 0.01), (9, 0.03)],
    ids=["at-start", "in-doc-3", "in-doc-10"],
)
def test_kill_9_during_ingest_and_during_a_revision_swap_then_rerun_matches_the_manifest(tmp_path, events, delay_s):
    home = tmp_path / "home"
    first = _corpus(tmp_path / "v1", 1)
    killed = _ingest_killed_after(home, first, events, delay_s)
    _check_after_crash(home)
    _rerun_ingest(home, first)
    _check_consistent(home, first, 1)

    # Every document changes: each becomes revision 2, approved, swapping out revision 1.
    second = _corpus(tmp_path / "v1", 2)
    killed_in_swap = _ingest_killed_after(home, second, events, delay_s)
    _check_after_crash(home)
    _rerun_ingest(home, second)
    _check_consistent(home, second, 2)
    store = Store(Settings(home=home, embedder="hashing"))
    assert {r.rev for r in store.manifest.documents()} == {2}
    assert killed or killed_in_swap  # the kill landed at least once (the run had not finished)


HOLD_LOCK = """
import sys, time
from pathlib import Path
from core.settings import Settings, apply_offline_defaults
apply_offline_defaults()
from store.lock import write_lock
with write_lock(Settings(home=Path(sys.argv[1]))):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_writer_fails_with_a_clear_message_while_another_holds_the_lock(tmp_path):
    home = tmp_path / "home"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(home)], stdout=subprocess.PIPE, text=True, env=_env(home), cwd=ROOT
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        store = Store(Settings(home=home, embedder="hashing", lock_timeout_s=0.5))
        with pytest.raises(
            LockBusyError, match=rf"another ingest or editor action is writing to .*process {holder.pid}"
        ):
            ingest_paths(store, [FIXTURE_CORPUS], status=Status.approved, approved_by="test-editor")
        assert store.is_empty()
        result = CliRunner().invoke(
            cli, ["--home", str(home), "ingest", str(FIXTURE_CORPUS)], obj={}, env={"GUIDEQA_LOCK_TIMEOUT_S": "0.2"}
        )
        assert result.exit_code == 2 and "another ingest or editor action is writing" in result.output
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    # The kernel released the dead holder's lock: the next writer proceeds.
    report = ingest_paths(Store(Settings(home=home, embedder="hashing", lock_timeout_s=5)), [FIXTURE_CORPUS])
    assert len(report.added) == 4


def test_two_ingests_at_once_both_finish_and_corrupt_nothing(tmp_path):
    home = tmp_path / "home"
    corpus = _corpus(tmp_path / "c", 1)
    patient = {**_env(home), "GUIDEQA_LOCK_TIMEOUT_S": "600"}  # a slow CI machine must not turn waiting into failing
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", INGEST_SCRIPT, str(home), str(corpus)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=patient,
            cwd=ROOT,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _, err in outputs]
    done = sorted(int(out.strip().splitlines()[-1].split()[1]) for out, _ in outputs)
    assert done == [0, 4 * N_COPIES]  # one indexed everything; the other waited, then found nothing to do
    _check_consistent(home, corpus, 1)
