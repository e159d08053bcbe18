"""``POST /api/v1/provenance/verify``: which FaceGate marks a file carries (any scope)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.concurrency import run_in_threadpool

from facegate.api.deps import ProcessCaller, ServicesDep, record_for
from facegate.api.schemas import AUTH_ERRORS, error_doc
from facegate.errors import UploadError
from facegate.provenance.verify import verify_file

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/provenance", tags=["provenance"])


@router.post(
    "/verify",
    responses={
        **AUTH_ERRORS,
        413: error_doc("file_too_large, image_too_large"),
        415: error_doc("unsupported_format"),
        422: error_doc("empty_file, corrupt_image, missing_field"),
    },
)
async def verify(
    services: ServicesDep,
    caller: ProcessCaller,
    file: Annotated[UploadFile, File(description="an image to check")],
) -> dict[str, Any]:
    """Watermark (content id; whether this tenant produced it), implicit label (and whether
    its pixel integrity value still matches), C2PA (absent / valid / trusted / invalid)."""
    limit = services.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise UploadError(f"file is larger than {limit} bytes", code="file_too_large")
    report = await run_in_threadpool(
        verify_file, data, settings=services.settings, db=services.db, tenant=caller.tenant
    )
    record_for(
        services,
        caller,
        "provenance.verified",
        details={
            "watermark_found": report["watermark"]["found"],
            "content_id": report["watermark"].get("content_id"),
            "c2pa": report["c2pa"]["state"],
        },
    )
    return report
