"""Liveness, readiness and Prometheus metrics (unauthenticated, like most probes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from facegate.api.deps import ServicesDep
from facegate.db import queries as q
from facegate.swap.base import EngineHealth
from facegate.types import TaskStatus

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/health")
def health() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "a component is not ready"}})
def ready(services: ServicesDep) -> JSONResponse:
    """Database, queue and (where this process runs tasks) the engine's models."""
    checks: dict[str, Any] = {}
    ok = True
    try:
        services.db.ping()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
        ok = False
    try:
        services.queue.ping()
        checks["queue"] = "ok"
    except Exception as exc:
        checks["queue"] = f"error: {type(exc).__name__}"
        ok = False
    screen = services.screen
    if screen is None:
        checks["nsfw"] = "off (FACEGATE_NSFW_DETECTOR=off)"
    elif screen.setup():
        checks["nsfw"] = {"detector": screen.detector.name, "status": "ready"}
    else:
        checks["nsfw"] = {
            "detector": screen.detector.name,
            "status": "unavailable",
            "error": screen.error,
        }
        ok = False
    from facegate.provenance.c2pa_sign import C2paSigner

    signer = C2paSigner(services.settings.c2pa_dir or services.settings.key_dir / "c2pa")
    checks["c2pa"] = "on" if signer.configured else "off (no key: run `facegate keys init`)"
    worker = services.worker
    if worker is None:
        checks["engine"] = "not in this process (run `facegate worker`)"
    else:
        checks["engine"] = {"name": worker.processor.name, "status": worker.health.value}
        if worker.setup_error:
            checks["engine"]["error"] = worker.setup_error
        if worker.health != EngineHealth.READY:
            ok = False
    return JSONResponse(
        {"status": "ready" if ok else "not_ready", "checks": checks}, status_code=200 if ok else 503
    )


@router.get("/metrics", response_class=Response)
def metrics(services: ServicesDep) -> Response:
    m = services.metrics
    with services.db.session() as s:
        counts = q.count_tasks_by_status(s)
    for status in TaskStatus:
        m.tasks_by_status.labels(status=status.value).set(counts.get(status.value, 0))
    try:
        m.queue_length.set(services.queue.pending_count())
    except Exception:
        m.queue_length.set(float("nan"))
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
