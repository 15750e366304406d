"""Answer engines, chosen by name in settings (``GUIDEQA_ENGINE``) and built here, lazily.

``offline`` is the default: deterministic, no LLM, decides from structured evidence first.
``openai`` talks to any OpenAI-compatible server (vLLM, Ollama, llama.cpp server, Azure OpenAI,
OpenAI); ``llamacpp`` runs a local GGUF file in-process (optional extra: ``make setup-llm``). Both
keep the offline engine's guarantees (:mod:`assistant.engines.llm_base`). Importing this package
imports neither ``openai`` nor ``llama_cpp``: an engine's module is imported when it is built.
"""

from __future__ import annotations

import importlib

from assistant.engines.base import AnswerEngine, EngineRequest
from assistant.engines.errors import EngineConfigError, UnknownEngineError
from core.settings import Settings, get_settings

ENGINES: dict[str, str] = {
    "offline": "assistant.engines.offline:OfflineEngine",
    "openai": "assistant.engines.openai_engine:OpenAIEngine",
    "llamacpp": "assistant.engines.llamacpp_engine:LlamaCppEngine",
}


def build_engine(name: str, settings: Settings | None = None) -> AnswerEngine:
    """The engine called ``name``, configured from ``settings`` (default: the environment's).

    Raises :class:`UnknownEngineError` for an unknown name and :class:`EngineConfigError` (a
    subclass) naming the ``GUIDEQA_*`` variable to set when an engine's configuration is missing.
    """
    if name not in ENGINES:
        raise UnknownEngineError(
            f"unknown answer engine '{name}'; available: {', '.join(sorted(ENGINES))} (set GUIDEQA_ENGINE or --engine)"
        )
    module, _, cls_name = ENGINES[name].partition(":")
    cls = getattr(importlib.import_module(module), cls_name)
    from_settings = getattr(cls, "from_settings", None)
    if from_settings is None:
        engine: AnswerEngine = cls()
        return engine
    built: AnswerEngine = from_settings(settings if settings is not None else get_settings())
    return built


__all__ = ["ENGINES", "AnswerEngine", "EngineConfigError", "EngineRequest", "UnknownEngineError", "build_engine"]
