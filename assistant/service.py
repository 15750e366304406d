"""The one entry point consumers call: ``Assistant.ask(question) -> Answer``."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence

from assistant.clinical.facts import extract_facts, merge_followup
from assistant.clinical.records import ClinicalFacts
from assistant.conversation import is_followup, resolve_followup
from assistant.corpus import CorpusReader, WithoutDocs
from assistant.engines import AnswerEngine, EngineRequest, build_engine
from assistant.query import QuestionError, check_question, parse_question
from assistant.retrieval import retrieve
from assistant.schema import Answer
from core.codes import find_cpt, find_hcpcs
from core.lexicon import load_lexicon
from core.rules import CodeFact
from core.settings import Settings
from store.store import Store

# A turn that points back at the patient or the procedure already described ("the trial gave him 65 %
# relief; is the permanent implant now covered?") continues the conversation even when it names a
# service and findings of its own; a full new case ("A 45-year-old ...") starts afresh.
_REFERS_BACK = re.compile(
    r"\b(?:he|she|him|her|his|hers|they|them|their|the patient|this patient|same|again|instead|now|also|"
    r"that|those|these)\b",
    re.I,
)


def _clean_turn(turn: object, max_chars: int) -> str:
    try:
        return check_question(turn, max_chars)
    except QuestionError:
        return ""


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
        # Load the embedding model and the clinical reader (spaCy + ConText) now (seconds, once) so answer
        # timings measure answering.
        self.store.embedder.embed(["warm-up"])
        extract_facts("Is a lumbar MRI without contrast indicated after 6 weeks of failed physical therapy?")

    def ask(self, question: str, *, audience: str = "physician", history: Sequence[str] = ()) -> Answer:
        """Answer one turn. ``history`` holds the physician's earlier turns of the conversation as typed,
        oldest first: a turn that reads as a follow-up ("what if only one block was done?") is resolved
        into the standalone question it implies (for retrieval and display) and its typed facts are
        merged over the conversation's (for judging)."""
        started = time.perf_counter()
        text = check_question(question, self.settings.max_question_chars)
        if audience not in ("physician", "patient"):
            raise QuestionError(f"audience '{audience}': choose physician or patient")
        # Earlier turns go through the same cleaning (each was a question once); an empty one is skipped.
        turns = [t for t in (_clean_turn(h, self.settings.max_question_chars) for h in history or ()) if t]
        resolution = resolve_followup(turns, text, self.engine) if turns else None
        standalone = resolution.question if resolution is not None else text
        parsed = parse_question(standalone)
        # One read snapshot per question: an approval committed meanwhile is seen by the next question,
        # never half by this one.
        with self._lock, self.store.manifest.snapshot():
            hidden = self.store.engine_addressed_docs()
            # Documents that talk to the answer engine are invisible to it (core/instructions.py).
            manifest: CorpusReader = WithoutDocs(self.store.manifest, hidden) if hidden else self.store.manifest
            facts_ms: list[float] = []

            def read_facts() -> ClinicalFacts:
                facts_started = time.perf_counter()
                facts = conversation_facts([*turns, text], manifest)
                facts_ms.append((time.perf_counter() - facts_started) * 1000)
                return facts

            retrieval = retrieve(self.store, parsed)
            request = EngineRequest(parsed, retrieval, manifest, audience, facts_of=read_facts)
            answer = self.engine.answer(request)
        if resolution is not None and resolution.rewritten:
            answer.understood_as = resolution.question
            answer.changes = list(resolution.changes)
            answer.understood_by = "engine" if resolution.method == "engine" else "deterministic"
        if facts_ms:
            answer.timings["facts_ms"] = round(facts_ms[0], 2)
        answer.timings["total_ms"] = round((time.perf_counter() - started) * 1000, 2)
        return answer


def conversation_facts(turns: Sequence[str], corpus: CorpusReader) -> ClinicalFacts:
    """The typed facts of the last turn, read in its conversation.

    Codes are typed by the lexicon first, else by what an approved document's code table says they
    are (so a new policy with a code table teaches its codes). Each turn that reads as a follow-up of
    the one before is merged over the facts so far; a turn that stands alone starts afresh."""
    lexicon = load_lexicon()
    codes = {c for t in turns for c in [*find_cpt(t), *find_hcpcs(t)]}
    by_code: dict[str, CodeFact] = {}
    for fact in corpus.code_facts(codes) if codes else []:
        by_code.setdefault(fact.code.upper(), fact)

    def services(code: str) -> list[str]:
        known = lexicon.services_for_code(code)
        if known:
            return known
        fact = by_code.get(code.upper())
        return list(fact.services) if fact else []

    def modifiers(code: str) -> dict[str, str]:
        fact = by_code.get(code.upper())
        return dict(fact.modifiers) if fact else {}

    facts: ClinicalFacts | None = None
    previous: str | None = None
    for turn in turns:
        current = extract_facts(turn, code_services=services, code_modifiers=modifiers)
        continues = facts is not None and (is_followup(turn, previous) or bool(_REFERS_BACK.search(turn)))
        facts = merge_followup(facts, current) if facts is not None and continues else current
        previous = turn
    assert facts is not None, "conversation_facts needs at least one turn"
    return facts
