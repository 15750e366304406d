"""The ``openai`` engine: any OpenAI-compatible chat endpoint (vLLM, Ollama, llama.cpp server, OpenAI).

Structured output is enforced by the server when it can be: ``json_schema`` response format
(OpenAI, vLLM, Ollama, llama.cpp's C++ server), else ``json_object`` with a ``schema`` (the
llama-cpp-python server's grammar), else plain JSON mode with the schema in the prompt. In
``auto`` mode a server that rejects one format (HTTP 400/422) is asked with the next, and the
format that worked is remembered. Whatever the server does, the reply is validated afterwards.
"""

from __future__ import annotations

import json
from typing import Any

from assistant.engines.errors import EngineConfigError
from assistant.engines.llm_base import LLMEngine, LLMError, redactor
from assistant.engines.prompt import Message
from core.settings import Settings

FORMATS = ("json_schema", "json_object_schema", "json_object")


def _response_format(mode: str, schema: dict[str, Any], name: str) -> dict[str, Any]:
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_object"}


def _refuses_format(exc: Exception, openai: Any) -> bool:
    """A request refused for its shape (400/422; llama-cpp-python answers 500 naming response_format)."""
    if isinstance(exc, openai.BadRequestError | openai.UnprocessableEntityError):
        return True
    return isinstance(exc, openai.InternalServerError) and "response_format" in str(exc)


class OpenAIChatClient:
    """Chat completions through the official ``openai`` package, with a schema-enforced reply."""

    def __init__(self, settings: Settings) -> None:
        try:
            import openai
        except ImportError as exc:  # a core dependency; only a broken install gets here
            raise EngineConfigError("the openai engine needs the 'openai' package: run `make setup`") from exc
        self._openai = openai
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
        # A server may echo the key back (a 401 that quotes it): every error and log line loses it.
        self._redact = redactor([key] if settings.llm_api_key else [])
        self.client = openai.OpenAI(
            base_url=settings.llm_base_url,
            api_key=key,  # local servers ignore it; the client refuses an empty one
            timeout=settings.llm_timeout_s,
            max_retries=settings.llm_http_retries,
        )
        self.model = settings.llm_model or ""
        self.max_tokens = settings.llm_max_tokens
        self.temperature = settings.llm_temperature
        self.modes = list(FORMATS) if settings.llm_structured_output == "auto" else [settings.llm_structured_output]

    def complete(self, messages: list[Message], schema: dict[str, Any], *, schema_name: str) -> str:
        openai = self._openai
        refused: list[str] = []
        for i, mode in enumerate(self.modes):
            sent = messages
            if mode == "json_object":  # JSON mode only: the model learns the shape from the prompt
                sent = [*messages, {"role": "system", "content": "JSON Schema of the reply:\n" + json.dumps(schema)}]
            try:
                response = self.client.chat.completions.create(
                    model=self.model,
                    messages=sent,  # type: ignore[arg-type]
                    response_format=_response_format(mode, schema, schema_name),  # type: ignore[arg-type]
                    max_tokens=self.max_tokens,
                    temperature=self.temperature,
                )
            except openai.APIStatusError as exc:
                if not _refuses_format(exc, openai):
                    raise LLMError(self._redact(f"{type(exc).__name__}: {exc}")) from None
                refused.append(self._redact(f"{mode}: {exc}"))
                continue  # perhaps this server does not take this format: try the next one
            except openai.APIError as exc:  # connection, timeout, 5xx, auth (after the client's retries)
                raise LLMError(self._redact(f"{type(exc).__name__}: {exc}")) from None
            if i:  # remember the first format this server accepted (only once one has worked)
                self.modes = self.modes[i:]
            if not response.choices or not response.choices[0].message.content:
                raise LLMError("the server returned no content")
            return response.choices[0].message.content
        raise LLMError("the server refused the request in every structured-output format: " + "; ".join(refused))


class OpenAIEngine(LLMEngine):
    name = "openai"

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIEngine:
        missing = [
            var
            for var, value in (
                ("GUIDEQA_LLM_BASE_URL", settings.llm_base_url),
                ("GUIDEQA_LLM_MODEL", settings.llm_model),
            )
            if not value
        ]
        if missing:
            raise EngineConfigError(
                f"the openai engine needs {' and '.join(missing)}: set GUIDEQA_LLM_BASE_URL to an OpenAI-compatible "
                "endpoint (e.g. http://127.0.0.1:8000/v1) and GUIDEQA_LLM_MODEL to the model it serves "
                "(GUIDEQA_LLM_API_KEY if it needs a key)"
            )
        return cls(OpenAIChatClient(settings), settings)
