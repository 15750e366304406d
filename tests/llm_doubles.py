"""Test doubles for LLM engines (fakes, used only for the logic around a model, and said so).

- :func:`obedient_reply`: a "model" that follows the prompt's rules exactly: it reads the fenced
  sources back from the prompt and cites the first sentence of source 1 word for word (like
  pydantic-ai's ``TestModel``: schema-valid, deterministic).
- :class:`ScriptedClient`: a :class:`~assistant.engines.llm_base.ChatClient` that plays a script of
  replies (text, callables or exceptions) and records every call.
- :class:`ScriptedOpenAIServer`: a real HTTP server on loopback speaking the OpenAI chat-completions
  wire format, so the ``openai`` engine is tested through the real ``openai`` client and real HTTP.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from assistant.engines.prompt import CRITERIA_RULES, REWRITE_RULES, Message, data_lines
from assistant.sentences import split_sentences

Reply = str | Callable[[list[Message]], str] | Exception


def obedient_reply(messages: list[Message]) -> str:
    """A reply that obeys the rules: one bullet copied from source 1, a rewrite that joins history."""
    lines = [json.loads(line) for line in data_lines(messages[1]["content"], "DATA")]
    if messages[0]["content"] == REWRITE_RULES:
        history = [x["earlier_question"] for x in lines if "earlier_question" in x]
        return json.dumps({"question": f"{lines[-1]['follow_up']} (following: {history[-1]})"})
    if messages[0]["content"] == CRITERIA_RULES:  # every criterion unknown: an honest, valid judgement
        n = sum(1 for x in lines if "question" not in x and "earlier_question" not in x)
        judgements = [
            {"criterion": i, "facts": [], "status": "unknown", "reason": "not stated"} for i in range(1, n + 1)
        ]
        return json.dumps({"judgements": judgements})
    source = next(x for x in lines if x.get("source") == 1)
    sentence = split_sentences(source["text"].removesuffix(" …"))[0]
    return json.dumps(
        {
            "bullets": [{"section": "Evidence", "text": sentence, "sources": [1]}],
            "criteria": [],
            "determination": "conditional",
            "headline": "Conditional: see the cited source.",
            "related_questions": [],
        }
    )


@dataclass
class ScriptedClient:
    script: list[Reply]
    calls: list[tuple[list[Message], dict[str, Any]]] = field(default_factory=list)
    repeat_last: bool = True

    def complete(self, messages: list[Message], schema: dict[str, Any], *, schema_name: str) -> str:
        self.calls.append((messages, schema))
        step = self.script[min(len(self.calls), len(self.script)) - 1] if self.repeat_last else self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step(messages) if callable(step) else step


Responder = Callable[[dict[str, Any]], tuple[int, dict[str, Any]] | str]


def completion(content: str, model: str = "scripted") -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class ScriptedOpenAIServer:
    """``/v1/chat/completions`` on 127.0.0.1; ``responder(body)`` returns content, or (status, JSON body)."""

    def __init__(self, responder: Responder, *, delay_s: float = 0.0) -> None:
        self.responder = responder
        self.delay_s = delay_s
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                if server.delay_s:
                    time.sleep(server.delay_s)
                result = server.responder(body)
                status, payload = (200, completion(result)) if isinstance(result, str) else result
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> ScriptedOpenAIServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def obedient_server_reply(body: dict[str, Any]) -> str:
    return obedient_reply(body["messages"])


def refuse(kind: str, status: int = 400) -> Callable[[dict[str, Any]], tuple[int, dict[str, Any]] | str]:
    """A server that rejects one response_format type (400; llama-cpp-python's server answers 500)."""

    def respond(body: dict[str, Any]) -> tuple[int, dict[str, Any]] | str:
        fmt = body.get("response_format", {})
        label = "json_object_schema" if fmt.get("type") == "json_object" and "schema" in fmt else fmt.get("type")
        if label == kind:
            message = f"('body', 'response_format', 'type'): {kind} is not supported"
            return status, {"error": {"message": message, "type": "invalid_request"}}
        return obedient_server_reply(body)

    return respond
