"""The one entry point consumers call: ``Assistant.ask(question) -> Answer``."""

from __future__ import annotations

import threading
import time

from assistant.engines import AnswerEngine, EngineRequest, build_engine
from assistant.query import check_question, parse_question
from assistant.retrieval import retrieve
from assistant.schema import Answer
from core.settings import Settings
from store.store import Store


class NoIndexError(RuntimeError):
    """There is nothing to answer from yet."""


class Assistant:
    """Answers questions from one store with one engine; load once, ask many times."""

    def __init__(self, settings: Settings, *, store: Store | None = None, engine: AnswerEngine | None = None) -> None:
        self.settings = settings
        self.engine = engine or build_engine(settings.engine, settings)
        if store is None:
            if not settings.manifest_path.exists():
                raise NoIndexError(f"no index in {settings.home}: run `guideqa ingest` first (or set GUIDEQA_HOME)")
            store = Store(settings)
        if store.is_empty():
            raise NoIndexError(f"the index in {settings.home} holds no documents: run `guideqa ingest`")
        statuses = store.manifest.statuses()
        if "approved" not in statuses.values():
            raise NoIndexError(
                f"none of the {len(statuses)} documents in {settings.home} is approved yet, and only approved "
                "documents answer: approve them (or ingest with --status approved)"
            )
        self.store = store
        # One question at a time per Assistant: the chat shares one across its sessions' threads,
        # and the manifest connection holds one read snapshot per question.
        self._lock = threading.Lock()
        # Load the embedding model now (seconds, once) so answer timings measure answering.
        self.store.embedder.embed(["warm-up"])

    def ask(self, question: str, *, audience: str = "physician") -> Answer:
        started = time.perf_counter()
        text = check_question(question, self.settings.max_question_chars)
        parsed = parse_question(text)
        # One read snapshot per question: an approval committed meanwhile is seen by the next question,
        # never half by this one.
        with self._lock, self.store.manifest.snapshot():
            retrieval = retrieve(self.store, parsed)
            answer = self.engine.answer(EngineRequest(parsed, retrieval, self.store.manifest, audience))
        answer.timings["total_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return answer
