"""Webhooks: validate ``callback_url`` (SSRF guard), sign and deliver a task's final state.

Delivery runs as its own queue job, never inside the task's worker call; a failed attempt is
retried with exponential backoff until ``FACEGATE_WEBHOOK_MAX_S`` after the first. Every
attempt is recorded. The signature header reads ``t=<unix time>,v1=<hex>`` where ``v1`` is
HMAC-SHA256 over ``"<t>." + body`` with the tenant's secret (``facegate webhooks secret``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from facegate.audit import _load_or_create_key
from facegate.db import Database
from facegate.db import queries as q
from facegate.db.tables import WebhookAttempt
from facegate.errors import ValidationError
from facegate.settings import Settings

__all__ = ["deliver", "sign", "tenant_secret", "validate_callback_url"]


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise ValidationError(
            f"callback_url host {host!r} does not resolve", code="invalid_callback_url"
        ) from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def validate_callback_url(url: str, settings: Settings) -> str:
    """http(s) only; every address the host resolves to must be public, or inside
    ``FACEGATE_WEBHOOK_ALLOWED_CIDRS``. Checked at submission and again at each delivery."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError(
            "callback_url must be an http:// or https:// URL", code="invalid_callback_url"
        )
    if parts.username or parts.password:
        raise ValidationError(
            "callback_url must not carry credentials", code="invalid_callback_url"
        )
    allowed = [ipaddress.ip_network(c, strict=False) for c in settings.webhook_allowed_cidrs]
    for address in _addresses(parts.hostname):
        if any(address in net for net in allowed):
            continue
        if not address.is_global or address.is_multicast:
            raise ValidationError(
                "callback_url points to a loopback, private or reserved address; allow it with "
                "FACEGATE_WEBHOOK_ALLOWED_CIDRS",
                code="callback_url_forbidden",
            )
    return url


def tenant_secret(settings: Settings, tenant: str) -> str:
    """Per-tenant signing secret, derived from a server key (nothing to store per tenant)."""
    import secrets

    key = _load_or_create_key(settings.key_dir / "webhook.key", lambda: secrets.token_bytes(32))
    return hmac.new(key, tenant.encode(), hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def task_payload(task: Any) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "status": task.status,
        "status_url": f"{task.options.get('base_url', '/')}api/v1/face/tasks/{task.id}",
        "error": {"code": task.error_code, "message": task.error_message}
        if task.error_code
        else None,
        "result_sha256": task.result_sha256 if task.result_key else None,
        "finished_at": q.aware(task.finished_at).isoformat() if task.finished_at else None,
    }


def deliver(
    *,
    settings: Settings,
    db: Database,
    task_id: str,
    attempt: int,
    first_at: float,
    transport: httpx.BaseTransport | None = None,
) -> float | None:
    """One attempt. Returns the delay before the next attempt, or None when done."""
    with db.session() as s:
        task = q.get_task(s, task_id=task_id)
        if task is None or not task.options.get("callback_url"):
            return None
        url = task.options["callback_url"]
        body = json.dumps(task_payload(task), sort_keys=True).encode()
        tenant = task.tenant
    host = urlsplit(url).hostname or ""
    status, error = None, None
    try:
        validate_callback_url(url, settings)  # again: DNS may have changed since submission
        stamp = int(time.time())
        with httpx.Client(
            timeout=settings.webhook_timeout_s, transport=transport, follow_redirects=False
        ) as http:
            response = http.post(
                url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-FaceGate-Signature": sign(tenant_secret(settings, tenant), body, stamp),
                    "X-FaceGate-Delivery": f"{task_id}-{attempt}",
                },
            )
        status = response.status_code
    except ValidationError as exc:
        error = exc.code
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    delivered = status is not None and 200 <= status < 300
    with db.session() as s:
        s.add(
            WebhookAttempt(
                task_id=task_id,
                attempt=attempt,
                at=q.now(),
                url_host=host,
                status_code=status,
                error=error,
                delivered=delivered,
            )
        )
    if delivered or error == "callback_url_forbidden":
        return None
    delay = settings.webhook_backoff_s * (2 ** (attempt - 1))
    if time.time() + delay - first_at > settings.webhook_max_s:
        return None
    return delay
