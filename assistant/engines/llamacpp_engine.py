"""The ``llamacpp`` engine: a local GGUF model run in-process by llama-cpp-python (``make setup-llm``).

The reply is constrained by llama.cpp's grammar built from the draft's JSON Schema, then validated
like every LLM engine's (:mod:`assistant.engines.llm_base`). The model loads once, when the engine
is built.
"""

from __future__ import annotations

from typing import Any

from assistant.engines.errors import EngineConfigError
from assistant.engines.llm_base import LLMEngine, LLMError
from assistant.engines.prompt import Message
from core.settings import Settings

INSTALL_HINT = "the llamacpp engine needs llama-cpp-python: run `make setup-llm` (an optional extra)"


class LlamaCppChatClient:
    def __init__(self, settings: Settings) -> None:
        path = settings.llamacpp_model_path
        if path is None:
            raise EngineConfigError("the llamacpp engine needs GUIDEQA_LLAMACPP_MODEL_PATH: set it to a .gguf file")
        if not path.is_file():
            raise EngineConfigError(f"GUIDEQA_LLAMACPP_MODEL_PATH={path}: no such file (expected a .gguf model)")
        try:
            import llama_cpp
        except ImportError as exc:
            raise EngineConfigError(INSTALL_HINT) from exc
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=settings.llamacpp_n_ctx,
                n_threads=settings.llamacpp_threads,
                verbose=False,
            )
        except ValueError as exc:  # llama_cpp's way of saying the file is not a loadable model
            raise EngineConfigError(
                f"GUIDEQA_LLAMACPP_MODEL_PATH={path}: cannot load it as a GGUF model ({exc})"
            ) from exc
        self.max_tokens = settings.llm_max_tokens
        self.temperature = settings.llm_temperature

    def complete(self, messages: list[Message], schema: dict[str, Any], *, schema_name: str) -> str:
        try:
            reply = self.llm.create_chat_completion(
                messages=messages,  # type: ignore[arg-type]
                response_format={"type": "json_object", "schema": schema},
                max_tokens=self.max_tokens,
                temperature=self.temperature,
            )
        except (ValueError, RuntimeError) as exc:  # e.g. the prompt does not fit the context window
            raise LLMError(str(exc)) from exc
        content = reply["choices"][0]["message"].get("content")  # type: ignore[index]
        if not content:
            raise LLMError("the model returned no content")
        return str(content)


class LlamaCppEngine(LLMEngine):
    name = "llamacpp"

    @classmethod
    def from_settings(cls, settings: Settings) -> LlamaCppEngine:
        return cls(LlamaCppChatClient(settings), settings)
