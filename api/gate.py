"""The ASGI gate every request passes before the app sees it: authentication, rate limit, body size.

It runs before routing and before any body is parsed, so an unauthenticated request is a 401 whatever
it sends (never a 422 or a 404 that would tell it what exists), a client over its rate is a 429
with ``Retry-After``, and a body over the limit is a 413 without the app reading it. One log line
per request (method, path, status, client name, milliseconds): never a header, a query string, a
body, a question or document text, and never a token.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from editorial.tokens import TokenVerifier
from editorial.users import User

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("guideqa.api")


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """A token bucket per client: ``burst`` requests at once, refilled at ``per_minute`` a minute."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the request may go ahead (one token taken), else the seconds until one is available."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate


async def _reply(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Gate:
    """ASGI middleware: bearer token -> ``scope["state"]["user"]``, then rate limit, then body size."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: TokenVerifier,
        limiter: RateLimiter,
        max_body: int,
        max_upload: int,
        upload_paths: tuple[str, ...] = ("/v1/documents",),
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.limiter = limiter
        self.max_body = max_body
        self.max_upload = max_upload
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_seen: dict[str, Any] = {"status": 0, "who": "-"}

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen["status"] = message["status"]
            await send(message)

        try:
            await self._handle(scope, receive, logged_send, status_seen)
        finally:
            log.info(
                "%s %s %s client=%s %.1fms",
                scope.get("method", "-"),
                scope.get("path", "-"),
                status_seen["status"],
                status_seen["who"],
                (time.perf_counter() - started) * 1000,
            )

    async def _handle(self, scope: Scope, receive: Receive, send: Send, seen: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        user = self._user(headers.get(b"authorization", b""))
        if user is None:
            await _reply(
                send,
                401,
                "missing or invalid bearer token (Authorization: Bearer <token from `guideqa tokens add`>)",
                [(b"www-authenticate", b'Bearer realm="guideqa"')],
            )
            return
        seen["who"] = user.name
        wait = self.limiter.take(user.name)
        if wait > 0:
            await _reply(
                send,
                429,
                f"rate limit for client '{user.name}' exceeded; retry in {math.ceil(wait)} s",
                [(b"retry-after", str(max(1, math.ceil(wait))).encode())],
            )
            return
        limit = self.max_upload if scope.get("path") in self.upload_paths else self.max_body
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await _reply(send, 400, "invalid Content-Length")
                return
            if too_big:
                await _reply(send, 413, f"request body over the limit of {limit} bytes")
                return
        # Read the body here (bounded), so a chunked body over the limit is refused as well; then replay it.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _reply(send, 413, f"request body over the limit of {limit} bytes")
                return
            chunks.append(chunk)
            more = bool(message.get("more_body"))
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        scope.setdefault("state", {})["user"] = user
        await self.app(scope, replay, send)

    def _user(self, header: bytes) -> User | None:
        try:
            text = header.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
            return None
        scheme, _, token = text.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.verifier.verify(token.strip())
