"""Integration: GuideQA's ``openai`` engine against a real ``python -m llama_cpp.server`` running SmolLM2.

Nothing here is a double: a llama.cpp server process on a free loopback port, the real ``openai``
client, the real index (Chroma + MiniLM). SmolLM2-135M is far too small to judge medical questions,
so the verdict's quality is not asserted; what is: every answer is an ``Answer`` that revalidates
against the stored chunks (or a clean, labelled offline fallback), every citation resolves, and
nothing crashes. Needs the LLM extra (``make setup-llm``); ``make test`` installs it and forbids a skip.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.schema import Answer
from assistant.service import Assistant
from core.settings import Settings
from tests.conftest import FIXTURE_EVALSET, SEED_QUESTION
from tests.llm_extra import smollm2_or_skip
from tests.servers import free_port, stop

pytestmark = pytest.mark.llm

FIXTURE_IDS = ["fx-02", "fx-19", "fx-22"]  # a rating row, a criteria list, a question the corpus does not cover
STARTUP_TIMEOUT_S = 180


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM if pytest itself is killed, so no server outlives its test run."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = smollm2_or_skip()
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model), "--model_alias", "smollm2",
        "--host", "127.0.0.1", "--port", str(port),
        # One thread: llama.cpp's worker threads spin-wait, and on a busy 2-core machine two of them
        # ran 10x slower than one.
        "--n_ctx", "4096", "--n_threads", "1", "--n_threads_batch", "1",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        base_url = f"http://127.0.0.1:{port}/v1"
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
                try:
                    with urllib.request.urlopen(f"{base_url}/models", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server not ready in {STARTUP_TIMEOUT_S} s:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.5)
            yield base_url
        finally:
            stop(proc)


def _llm_settings(home: Path, base_url: str) -> Settings:
    return Settings(
        home=home,
        engine="openai",
        llm_base_url=base_url,
        llm_model="smollm2",
        llm_retries=1,
        llm_max_tokens=300,
        llm_max_sources=4,
        llm_source_chars=600,
        llm_timeout_s=240,
    )


def _check(answer: Answer, assistant: Assistant) -> None:
    assert answer.engine in ("openai", "openai→offline")
    assert (answer.fallback is not None) == (answer.engine == "openai→offline")
    # The server answered: a fallback here may only come from replies that failed validation.
    assert answer.fallback is None or "could not be reached" not in answer.fallback, answer.fallback
    assert answer.timings.get("llm_attempts", 0) >= 1 or not answer.retrieved_doc_ids
    stored = assistant.store.manifest.chunks({r.chunk_id for r in answer.references})
    assert set(stored) == {r.chunk_id for r in answer.references}  # every reference is a stored chunk
    again = Answer.model_validate(answer.model_dump(), context={"chunks": {k: c.text for k, c in stored.items()}})
    numbers = {r.number for r in again.references}
    cited = [n for s in again.sections for b in s.bullets for n in b.citations] + [
        n for c in again.criteria for n in c.citations
    ]
    assert set(cited) <= numbers


def test_seed_question_against_a_real_llama_cpp_server(llama_server, starter_settings):
    assistant = Assistant(_llm_settings(starter_settings.home, llama_server))
    answer = assistant.ask(SEED_QUESTION)
    _check(answer, assistant)
    assert answer.retrieved_doc_ids  # the starter corpus covers the seed question


def test_fixture_questions_against_a_real_llama_cpp_server(llama_server, fixture_settings):
    gold = {
        row["id"]: row
        for row in map(json.loads, (FIXTURE_EVALSET / "gold.jsonl").read_text().splitlines())
        if row.get("id") in FIXTURE_IDS
    }
    assistant = Assistant(_llm_settings(fixture_settings.home, llama_server))
    outcomes = []
    for fx in FIXTURE_IDS:
        answer = assistant.ask(gold[fx]["question"])
        _check(answer, assistant)
        outcomes.append((fx, answer.engine, answer.determination.value, gold[fx]["determination"]))
    print("\nSmolLM2 via llama_cpp.server:", outcomes)  # shown with -rP; quality is not asserted


def test_follow_up_rewrite_against_a_real_llama_cpp_server(llama_server, fixture_settings):
    engine = Assistant(_llm_settings(fixture_settings.home, llama_server)).engine
    rewritten = engine.rewrite_followup(["Is CT head without contrast appropriate for thunderclap headache?"], "MRI?")
    assert rewritten is None or (isinstance(rewritten, str) and 3 <= len(rewritten) <= 2000)
