"""Typed dependencies: the services of this app, and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request

from facegate.db import queries as q
from facegate.errors import AuthError, ForbiddenError
from facegate.limits import check_rate
from facegate.service import Services
from facegate.tokens import parse_token, secrets_match

__all__ = ["Caller", "ServicesDep", "require_scope"]


def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


@dataclass(frozen=True)
class Caller:
    key_id: str
    tenant: str
    scopes: frozenset[str]
    client_ip: str
    request_id: str


def _authenticate(request: Request, services: Services) -> Caller:
    header = request.headers.get("authorization")
    if not header:
        raise AuthError(
            "missing Authorization header; send 'Authorization: Bearer <token>'",
            code="missing_token",
        )
    scheme, _, value = header.partition(" ")
    parsed = parse_token(value.strip()) if scheme.lower() == "bearer" else None
    if parsed is None:
        raise AuthError(
            "malformed Authorization header; send 'Authorization: Bearer <token>'",
            code="malformed_token",
        )
    key_id, secret = parsed
    with services.db.session() as s:
        row = q.get_token(s, key_id=key_id)
        if row is None or not secrets_match(secret, row.secret_sha256):
            raise ForbiddenError("invalid token", code="invalid_token")
        if row.revoked_at is not None:
            raise ForbiddenError("this token has been revoked", code="token_revoked")
        stamp = q.now()
        last = q.aware(row.last_used_at)
        if last is None or stamp - last > timedelta(minutes=1):
            row.last_used_at = stamp
        caller = Caller(
            key_id=row.key_id,
            tenant=row.tenant,
            scopes=frozenset(row.scopes.split(",")),
            client_ip=request.client.host if request.client else "",
            request_id=getattr(request.state, "request_id", "-"),
        )
    return caller


def require_scope(scope: str):  # type: ignore[no-untyped-def]
    """Dependency factory: an authenticated caller holding ``scope`` (or ``admin``)."""

    def dependency(request: Request, services: ServicesDep) -> Caller:
        caller = _authenticate(request, services)
        if scope not in caller.scopes and "admin" not in caller.scopes:
            raise ForbiddenError(f"this token lacks the '{scope}' scope", code="insufficient_scope")
        settings = services.settings
        check_rate(
            services.db,
            key=caller.key_id,
            rate=settings.rate_limit_per_s,
            burst=settings.rate_limit_burst,
        )
        return caller

    return dependency


ProcessCaller = Annotated[Caller, Depends(require_scope("process"))]
SubjectsCaller = Annotated[Caller, Depends(require_scope("subjects"))]
ReviewCaller = Annotated[Caller, Depends(require_scope("review"))]
AdminCaller = Annotated[Caller, Depends(require_scope("admin"))]


def record_for(
    services: Services,
    caller: Caller,
    kind: str,
    *,
    objects: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """An audit event for an API call: who (token key id), tenant, client address, request id."""
    if services.auditor is not None:
        services.auditor.record(
            kind,
            actor=caller.key_id,
            tenant=caller.tenant,
            client_ip=caller.client_ip,
            request_id=caller.request_id,
            objects=objects,
            details=details,
        )
