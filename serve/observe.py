"""Request ids, body-size limit, metrics and access logs, as a plain ASGI middleware.

Starlette's ``BaseHTTPMiddleware`` wraps every request in extra tasks and streams; at a
few milliseconds per prediction that overhead showed in the latency tail.

The body limit counts the bytes as they arrive, so a chunked body (no ``Content-Length``)
is refused once it passes the limit, without being read to its end. Metrics labels come
from closed sets: the matched route's template (else ``unmatched``) and a known method
(else ``other``), so that invented paths and methods cannot grow ``/metrics`` without bound.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serve.errors import ApiError, error_body
from serve.metrics import Metrics

__all__ = ["BodyTooLarge", "Observe", "method_label"]

log = logging.getLogger("hotline.serve")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str) -> str:
    """The metrics label of an HTTP method: itself if standard, else ``other``."""
    return method if method in _METHODS else "other"


class BodyTooLarge(ApiError):
    """Raised from ``receive`` once the body read so far passes the limit (answered 413 in the error shape)."""

    def __init__(self, limit: int) -> None:
        message = f"expected a body of at most {limit} bytes, got more; split the batch"
        super().__init__(413, "payload_too_large", message, [{"field": "body", "max": limit}])


class Observe:
    """Give each request an id (``X-Request-ID``, echoed back), refuse bodies over ``max_body_bytes``,
    count requests and latency by route and status, and log one access line without ticket text."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500  # what the client gets if the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        received = 0

        async def receive_counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:  # FastAPI re-raises it while reading the body: a 413
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        try:
            length = headers.get(b"content-length", b"")
            if length.isdigit() and int(length) > self.max_body_bytes:
                await self._refuse(send_with_id, request_id, int(length))
            else:
                await self.app(scope, receive_counted, send_with_id)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = method_label(scope["method"])
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels(route=route, method=method, status=str(status)).inc()
            self.metrics.latency.labels(route=route).observe(elapsed)
            log.info("%s %s %s %d %.1fms", request_id, method, route, status, elapsed * 1000)

    async def _refuse(self, send: Send, request_id: str, length: int) -> None:
        message = f"expected a body of at most {self.max_body_bytes} bytes, got {length}; split the batch"
        details = [{"field": "body", "max": self.max_body_bytes, "got": length}]
        body = json.dumps(error_body("payload_too_large", message, details, request_id)).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
