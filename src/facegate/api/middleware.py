"""ASGI middleware: request ids and a hard limit on request body size.

The body limit stops reading at the limit: a declared Content-Length over it is refused before
any byte of the body is read, and a chunked body is cut off as soon as it passes the limit.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facegate.logs import request_id_var

__all__ = ["AllowListMiddleware", "BodyLimitMiddleware", "RequestIdMiddleware"]


access_log = logging.getLogger("facegate.access")


class _BodyTooLarge(Exception):
    pass


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: list | None = None
) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        error = {
            "error": {
                "code": "request_too_large",
                "message": f"request body exceeds {self.max_bytes} bytes",
            }
        }
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes:
                    await _send_json(send, 413, error)
                    return
        seen = 0
        overflow = False
        started = False

        async def limited_receive() -> Message:
            nonlocal seen, overflow
            if overflow:  # never read past the limit, whatever the app asks
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    overflow = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Frameworks may turn our exception into their own 400; the 413 replaces it.
            nonlocal started
            if overflow:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _send_json(send, 413, error)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            if not started:
                await _send_json(send, 413, error)


class RequestIdMiddleware:
    """Takes ``X-Request-ID`` from the client (if sane) or makes one; echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                candidate = value.decode("latin-1")[:64]
                if candidate.replace("-", "").replace("_", "").isalnum():
                    request_id = candidate
        request_id = request_id or secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)

        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "%s %s %d %.1fms",
                scope.get("method"),
                scope.get("path"),
                status,
                (time.perf_counter() - started) * 1000.0,
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000.0, 1),
                },
            )
            request_id_var.reset(token)


class AllowListMiddleware:
    """Refuses clients outside the configured networks before anything else is read.

    The peer address of the TCP connection is used; ``X-Forwarded-For`` is not trusted."""

    def __init__(self, app: ASGIApp, networks: list) -> None:  # type: ignore[type-arg]
        self.app = app
        self.networks = networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = (scope.get("client") or ("", 0))[0]
            if not self._allowed(host):
                await _send_json(
                    send,
                    403,
                    {
                        "error": {
                            "code": "ip_not_allowed",
                            "message": "this client address is not in FACEGATE_ALLOWED_CIDRS",
                        }
                    },
                )
                return
        await self.app(scope, receive, send)

    def _allowed(self, host: str) -> bool:
        import ipaddress

        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in net for net in self.networks)
