"""A slice of the shared ACR dev set end to end (skipped cleanly when ../shared is absent).

The full dev sets run with `make eval`; this keeps a real-data check in `make test` at a cost of a
few documents' ingest.
"""

from __future__ import annotations

import json
import shutil

import pytest

from assistant.service import Assistant
from core.records import Status
from core.settings import Settings
from ingest.pipeline import ingest_paths
from store.store import Store
from tests.conftest import SHARED

ACR = SHARED / "evalsets" / "acr-appropriateness"
pytestmark = pytest.mark.skipif(not (ACR / "gold.jsonl").exists(), reason="../shared evalsets are not present")


@pytest.fixture(scope="module")
def acr_slice(tmp_path_factory):
    gold = [json.loads(line) for line in (ACR / "gold.jsonl").read_text().splitlines() if line.strip()]
    phrased = [json.loads(line) for line in (ACR / "gold-physician-phrased.jsonl").read_text().splitlines() if line]
    docs = sorted({d for g in phrased[:6] for d in g["doc_ids"]})
    corpus = tmp_path_factory.mktemp("acr-slice")
    for doc_id in docs:
        shutil.copy(ACR / "corpus" / f"{doc_id}.html", corpus)
    settings = Settings(home=tmp_path_factory.mktemp("acr-home"))
    store = Store(settings)
    assert not ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor").failed
    questions = [g for g in gold + phrased if set(g["doc_ids"]) <= set(docs)]
    return Assistant(settings, store=store), questions


def test_acr_slice_accuracy_and_retrieval(acr_slice):
    assistant, questions = acr_slice
    assert len(questions) >= 30
    correct = hit = 0
    for g in questions:
        answer = assistant.ask(g["question"])
        correct += answer.determination.value == g["determination"]
        hit += bool(set(g["doc_ids"]) & set(answer.retrieved_doc_ids[:5]))
    assert correct / len(questions) >= 0.9
    assert hit / len(questions) >= 0.95
