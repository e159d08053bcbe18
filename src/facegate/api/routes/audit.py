"""The audit log over HTTP (scope ``admin``): the caller's tenant's events, and a verify."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from facegate.api.deps import AdminCaller, ServicesDep
from facegate.api.schemas import AUTH_ERRORS
from facegate.errors import UnavailableError

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
_ERRORS = {
    **AUTH_ERRORS,
}


@router.get("", responses=_ERRORS)
def events(
    services: ServicesDep,
    caller: AdminCaller,
    since_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Events of the caller's tenant after ``since_seq``, oldest first (page with the last
    ``seq``). Each carries its chain hash."""
    if services.auditor is None:
        raise UnavailableError("the audit log is not configured", code="audit_unavailable")
    items = services.auditor.events(tenant=caller.tenant, since_seq=since_seq, limit=limit)
    return {"items": items, "next_since_seq": items[-1]["seq"] if items else since_seq}


@router.get("/verify", responses=_ERRORS)
def verify(services: ServicesDep, caller: AdminCaller) -> dict[str, Any]:
    """Recompute the whole chain (all tenants); name the first broken event."""
    if services.auditor is None:
        raise UnavailableError("the audit log is not configured", code="audit_unavailable")
    return services.auditor.verify().to_dict()
