"""What every LLM engine shares: sources, prompt, schema-enforced reply, validation, retries, fallback.

An LLM engine only supplies a :class:`ChatClient` (the wire format: an OpenAI-compatible server, a
local GGUF model, a scripted double). The rest is here so every LLM keeps the offline engine's
guarantees:

1. the offline engine answers first: its answer is the fallback, and the chunks it cites (rating
   rows, criteria: the strongest evidence) are shown to the model first; when the offline answer
   comes from compiled criteria, the model judges exactly those criteria as structured output
   (:mod:`assistant.engines.llm_criteria`) and the verdict follows from its judgements by the
   shared rule, instead of a free-form draft;
2. the model sees numbered sources as quoted data (:mod:`assistant.engines.prompt`) and replies
   with an :class:`~assistant.engines.answer_json_schema.AnswerDraft` (bounded JSON Schema);
3. the draft is checked: it parses, every bullet and criterion cites a listed source that supports
   it under :func:`assistant.support.supports`; the problems go back to the model, up to
   ``llm_retries`` times;
4. a clean draft becomes an ``Answer`` through :class:`assistant.compose.Draft`, validated against
   the shown chunks exactly as in offline mode;
5. if the model never produces a valid draft, or cannot be reached, the offline answer is returned
   with ``engine="<name>→offline"`` and ``fallback`` saying why.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import ValidationError

from assistant.compose import Draft
from assistant.decide.necessity import Decision
from assistant.engines import build_engine
from assistant.engines.answer_json_schema import (
    AnswerDraft,
    StandaloneQuestion,
    criteria_schema,
    draft_schema,
    json_schema,
)
from assistant.engines.base import EngineRequest
from assistant.engines.llm_criteria import (
    apply_judgements,
    check_judgements,
    criteria_payload,
    judged_criteria,
    parse_judgements,
)
from assistant.engines.prompt import (
    Message,
    Source,
    answer_messages,
    correction_message,
    criteria_messages,
    rewrite_messages,
)
from assistant.engines.rules_answer import build_answer, decide_from_rules
from assistant.schema import Answer, Determination
from assistant.support import supports
from core.records import StoredChunk
from core.rules import CompiledRule
from core.settings import Settings

log = logging.getLogger(__name__)


REDACTED = "[redacted]"
_SECRETS: set[str] = set()


def _install_log_redaction() -> None:
    """Every log record of the process, from any library, has the registered secrets replaced (once)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "guideqa_redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _SECRETS:
            try:
                message = record.getMessage()
            except Exception:
                return record
            if any(s in message for s in _SECRETS):
                for secret in _SECRETS:
                    message = message.replace(secret, REDACTED)
                record.msg, record.args = message, None
        return record

    factory.guideqa_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def redactor(secrets: list[str]) -> Callable[[str], str]:
    """A function that replaces each secret (an API key) in a text; the secrets are also kept out of logs.

    Secrets shorter than 8 characters are not registered: replacing them would mangle ordinary text.
    """
    kept = [s for s in secrets if s and len(s) >= 8]
    if kept:
        _SECRETS.update(kept)
        _install_log_redaction()

    def redact(text: str) -> str:
        for secret in kept:
            text = text.replace(secret, REDACTED)
        return text

    return redact


def redact_all(text: str) -> str:
    """The text with every secret any engine of this process registered replaced."""
    for secret in _SECRETS:
        text = text.replace(secret, REDACTED)
    return text


class LLMError(RuntimeError):
    """The model could not be reached or returned no content (after the client's own retries)."""


class ChatClient(Protocol):
    """The wire format: send chat messages plus the reply's JSON Schema, get the reply text."""

    def complete(self, messages: list[Message], schema: dict[str, Any], *, schema_name: str) -> str: ...


def _pydantic_problems(exc: ValidationError) -> list[str]:
    out = []
    for e in exc.errors()[:6]:
        where = ".".join(str(p) for p in e["loc"]) or "reply"
        out.append(f"{where}: {e['msg']}")
    return out


def parse_draft(raw: str) -> tuple[AnswerDraft | None, list[str]]:
    """The reply as a draft, or the problems that make it unusable (said so the model can fix them)."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        problem = f"the reply is not valid JSON ({exc.msg} at character {exc.pos})"
        if exc.msg.startswith("Unterminated") or exc.pos >= len(raw.rstrip()) - 1:
            problem += "; it was cut off at the token limit (GUIDEQA_LLM_MAX_TOKENS): write fewer, shorter bullets"
        return None, [problem]
    try:
        return AnswerDraft.model_validate(data), []
    except ValidationError as exc:
        return None, _pydantic_problems(exc)


def check_draft(draft: AnswerDraft, sources: dict[int, Source]) -> list[str]:
    """Citation problems: no source, an unknown source, or a claim no cited source supports."""
    problems: list[str] = []
    listed = f"{min(sources)}-{max(sources)}" if sources else "none"
    claims = [("bullet", i, b.text, b.sources) for i, b in enumerate(draft.bullets, 1)]
    claims += [("criterion", i, c.criterion, c.sources) for i, c in enumerate(draft.criteria, 1)]
    for kind, i, text, cited in claims:
        if not cited:
            problems.append(f"{kind} {i} has no source number: {text[:60]!r}")
            continue
        unknown = [n for n in cited if n not in sources]
        if unknown:
            problems.append(f"{kind} {i} cites source {unknown[0]}, but only sources {listed} are listed")
            continue
        if not any(supports(text, sources[n].chunk.text) for n in cited):
            problems.append(
                f"{kind} {i} is not stated by source {', '.join(map(str, cited))}: copy the sentence word "
                f"for word ({text[:60]!r})"
            )
    if draft.determination != Determination.insufficient_evidence and not claims:
        problems.append(f"the verdict {draft.determination.value} needs at least one bullet citing a source")
    return problems


def pick_sources(request: EngineRequest, offline: Answer, limit: int) -> list[Source]:
    """The offline answer's cited chunks first (strongest evidence), then the retrieved ones, best first."""
    corpus = request.corpus
    wanted = [r.chunk_id for r in offline.references]
    wanted += [h.chunk_id for h in request.retrieval.hits]
    ordered = list(dict.fromkeys(wanted))[:limit]
    chunks: dict[str, StoredChunk] = {h.chunk_id: h.chunk for h in request.retrieval.hits}
    chunks.update(corpus.chunks([c for c in ordered if c not in chunks]))
    sources: list[Source] = []
    for chunk_id in ordered:
        chunk = chunks.get(chunk_id)
        record = corpus.get(chunk.doc_id) if chunk else None
        if chunk is None or record is None:
            continue
        meta = record.meta
        sources.append(Source(len(sources) + 1, chunk, meta.title, meta.publisher, meta.year, meta.version))
    return sources


class LLMEngine:
    """An answer engine around any :class:`ChatClient`; keeps every guarantee of the offline engine."""

    name = "llm"

    def __init__(self, client: ChatClient, settings: Settings, *, name: str | None = None) -> None:
        self.client = client
        self.settings = settings
        if name:
            self.name = name
        # The offline engine's answer is the fallback and names the strongest evidence; its rules stay its own.
        self._offline = build_engine("offline", settings)

    # ------------------------------------------------------------------ answer
    def answer(self, request: EngineRequest) -> Answer:
        started = time.perf_counter()
        offline = self._offline.answer(request)
        if not request.retrieval.hits:
            return offline.model_copy(update={"engine": self.name})  # nothing to show the model
        if any(c.rule_id for c in offline.criteria):
            # The typed engine found the compiled criteria that govern the ask: the model judges those.
            typed = decide_from_rules(request)
            if typed is not None and typed[0].doc_id is not None and judged_criteria(typed[0]):
                return self._judge_criteria(request, typed[0], typed[1], offline, started)
        sources = pick_sources(request, offline, self.settings.llm_max_sources)
        by_number = {s.number: s for s in sources}
        messages = answer_messages(
            request.question.text, sources, audience=request.audience, max_chars=self.settings.llm_source_chars
        )
        schema = draft_schema(len(sources))

        def accept(raw: str) -> tuple[Answer | None, list[str]]:
            draft, problems = parse_draft(raw)
            if draft is not None:
                problems = check_draft(draft, by_number)
            if draft is None or problems:
                return None, problems
            answer = self._build(request, draft, sources, offline)
            return answer, [] if answer is not None else ["the answer did not validate against its sources"]

        return self._ask_structured(messages, schema, "answer_draft", accept, "answer", offline, started)

    def _judge_criteria(
        self,
        request: EngineRequest,
        decision: Decision,
        rules: dict[str, list[CompiledRule]],
        offline: Answer,
        started: float,
    ) -> Answer:
        """The model judges each applicable compiled criterion (structured output, checked, retried)."""
        judged = judged_criteria(decision)
        question = request.question.text
        messages = criteria_messages([question], criteria_payload(judged))

        def accept(raw: str) -> tuple[Answer | None, list[str]]:
            reply, problems = parse_judgements(raw)
            if reply is not None:
                problems = check_judgements(reply, len(judged), question)
            if reply is None or problems:
                return None, problems
            judged_decision = apply_judgements(decision, judged, reply)
            draft = Draft(request.corpus, question, self.name, request.audience)
            answer = build_answer(draft, judged_decision, rules, request, {})
            return answer, [] if answer is not None else ["the judged criteria could not be cited"]

        schema = criteria_schema(len(judged))
        return self._ask_structured(
            messages, schema, "criteria_judgements", accept, "criteria judgement", offline, started
        )

    def _ask_structured(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        schema_name: str,
        accept: Callable[[str], tuple[Answer | None, list[str]]],
        what: str,
        offline: Answer,
        started: float,
    ) -> Answer:
        """Ask for a schema-bound reply until ``accept`` turns one into an answer, or fall back.

        ``accept`` returns the answer, or the problems that go back to the model as a correction;
        one loop for the free-form draft and for the criteria judgements keeps their retry, timing
        and fallback behaviour the same.
        """
        problems: list[str] = []
        attempts = 0
        llm_started = time.perf_counter()
        for attempt in range(self.settings.llm_retries + 1):
            attempts = attempt + 1
            try:
                raw = self.client.complete(messages, schema, schema_name=schema_name)
            except LLMError as exc:
                return self._fallback(offline, f"the model could not be reached: {exc}", attempts, started)
            answer, problems = accept(raw)
            if answer is not None:
                answer.timings.update(
                    {
                        **{k: v for k, v in offline.timings.items() if k == "retrieve_ms"},
                        "llm_ms": round((time.perf_counter() - llm_started) * 1000, 2),
                        "llm_attempts": float(attempts),
                        "decide_ms": round((time.perf_counter() - started) * 1000, 2),
                    }
                )
                return answer
            log.info("%s %s attempt %d rejected: %s", self.name, what, attempts, problems)
            messages = [*messages, {"role": "assistant", "content": raw}, correction_message(problems)]
        return self._fallback(
            offline, f"no valid {what} after {attempts} attempts (last problem: {problems[0]})", attempts, started
        )

    def _build(self, request: EngineRequest, d: AnswerDraft, sources: list[Source], offline: Answer) -> Answer | None:
        """The draft as an ``Answer``; ``None`` if it fails validation against the shown chunks."""
        by_number = {s.number: s for s in sources}
        draft = Draft(request.corpus, request.question.text, self.name, request.audience)
        draft.saw([s.chunk for s in sources])

        def supporting(text: str, cited: list[int]) -> StoredChunk:
            return next(by_number[n].chunk for n in cited if supports(text, by_number[n].chunk.text))

        for c in d.criteria:
            draft.add_criterion(c.criterion, c.status, c.reason, supporting(c.criterion, c.sources))
        for b in d.bullets:
            draft.add_bullet(b.section, b.text, supporting(b.text, b.sources))
        draft.related = [q for q in d.related_questions if q.strip()]
        answer = draft.build(
            d.determination,
            d.headline.strip() or d.determination.value,
            retrieved_doc_ids=offline.retrieved_doc_ids,
            timings={},
        )
        if draft.has_claims() and not answer.references:
            return None  # Draft.build refused it and returned its own insufficient answer
        return answer

    def _fallback(self, offline: Answer, reason: str, attempts: int, started: float) -> Answer:
        reason = redact_all(reason)  # the fallback note is shown to the user and stored with feedback
        log.warning("%s fell back to the offline engine: %s", self.name, reason)
        timings = {
            **offline.timings,
            "llm_attempts": float(attempts),
            "decide_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        return offline.model_copy(
            update={
                "engine": f"{self.name}→offline",
                "fallback": f"The {self.name} engine's answer was not used ({reason}); this is the offline engine's "
                "answer.",
                "timings": timings,
            }
        )

    # --------------------------------------------------------------- follow-up
    def rewrite_followup(self, history: list[str], followup: str) -> str | None:
        """The follow-up as a standalone question, or ``None`` when the model gives no usable one.

        ``history`` holds the earlier standalone questions, oldest first. ``None`` tells the caller
        to use its deterministic resolver instead.
        """
        followup = followup.strip()
        if not followup:
            return None
        if not history:
            return followup
        schema = json_schema(StandaloneQuestion)
        try:
            raw = self.client.complete(rewrite_messages(history, followup), schema, schema_name="standalone_question")
            rewritten = StandaloneQuestion.model_validate_json(raw).question.strip()
        except (LLMError, ValidationError, ValueError) as exc:
            log.info("%s could not rewrite the follow-up: %s", self.name, exc)
            return None
        if len(rewritten) < 3 or len(rewritten) > self.settings.max_question_chars:
            return None
        return rewritten
