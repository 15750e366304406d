"""Answer engines, chosen by name in settings (``GUIDEQA_ENGINE``) and built here, lazily.

``offline`` is the default: deterministic, no LLM, decides from structured evidence first.
"""

from __future__ import annotations

import importlib

from assistant.engines.base import AnswerEngine, EngineRequest

ENGINES: dict[str, str] = {
    "offline": "assistant.engines.offline:OfflineEngine",
}


class UnknownEngineError(ValueError):
    pass


def build_engine(name: str) -> AnswerEngine:
    if name not in ENGINES:
        raise UnknownEngineError(
            f"unknown answer engine '{name}'; available: {', '.join(sorted(ENGINES))} (set GUIDEQA_ENGINE or --engine)"
        )
    module, _, cls = ENGINES[name].partition(":")
    engine: AnswerEngine = getattr(importlib.import_module(module), cls)()
    return engine


__all__ = ["ENGINES", "AnswerEngine", "EngineRequest", "UnknownEngineError", "build_engine"]
