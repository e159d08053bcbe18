"""``create_app(settings)``: wires services, middleware, error handlers and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from facegate import __version__
from facegate.api.middleware import AllowListMiddleware, BodyLimitMiddleware, RequestIdMiddleware
from facegate.api.routes import audit, health, provenance, review, subjects, tasks
from facegate.errors import FaceGateError
from facegate.limits import LimitExceeded
from facegate.service import Services, build_services
from facegate.settings import Settings

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def _error(status: int, code: str, message: str, details: object = None) -> JSONResponse:
    body: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def create_app(
    settings: Settings, *, services: Services | None = None, run_worker: bool | None = None
) -> FastAPI:
    """The ASGI app. With ``run_worker`` (default: ``settings.in_process_worker``) the process
    also consumes the queue."""
    services = services or build_services(settings)
    with_worker = settings.in_process_worker if run_worker is None else run_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.record_startup("api+worker" if with_worker else "api")
        if with_worker:
            services.start_consumer(in_process=True, background_setup=True)
        try:
            yield
        finally:
            services.stop()

    app = FastAPI(
        title="FaceGate",
        version=__version__,
        description=(
            "Local, consent-first face processing. Every /api route needs "
            "`Authorization: Bearer <token>`; every error answers "
            '`{"error": {"code": "...", "message": "..."}}` with a stable code.'
        ),
        lifespan=lifespan,
    )
    app.state.services = services

    @app.exception_handler(FaceGateError)
    async def _facegate_error(_: Request, exc: FaceGateError) -> JSONResponse:
        response = _error(exc.status, exc.code, exc.message, exc.details)
        if isinstance(exc, LimitExceeded):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "header", "path")]
        field = ".".join(loc) or "request"
        if first.get("type") == "missing":
            return _error(
                422, "missing_field", f"required field '{field}' is missing", {"field": field}
            )
        return _error(
            422,
            "invalid_field",
            f"field '{field}': {first.get('msg', 'invalid')}",
            {"field": field},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {400: "malformed_request", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return _error(500, "internal_error", "internal error; see the server log")

    app.include_router(health.router)
    app.include_router(tasks.router)
    app.include_router(subjects.router)
    app.include_router(review.router)
    app.include_router(audit.router)
    app.include_router(provenance.router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    networks = settings.client_networks()
    if networks is None:
        log.warning(
            "FACEGATE_HOST=%s is not loopback and no FACEGATE_ALLOWED_CIDRS is set: "
            "every client address may call the API",
            settings.host,
        )
    else:
        app.add_middleware(AllowListMiddleware, networks=networks)
    app.add_middleware(RequestIdMiddleware)
    return app
