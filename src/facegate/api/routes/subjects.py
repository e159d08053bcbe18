"""The consent registry over HTTP (scope ``subjects``). Templates never leave the server."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from facegate.api.deps import ServicesDep, SubjectsCaller, record_for
from facegate.api.schemas import AUTH_ERRORS, ErrorResponse, SubjectOut, SubjectPage
from facegate.errors import UploadError, ValidationError
from facegate.images import decode_image
from facegate.registry import (
    ConsentFields,
    enrol_subject,
    list_subjects,
    subject_view,
    withdraw_subject,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/subjects", tags=["consent registry"])

_ERRORS = {
    **AUTH_ERRORS,
    404: {"model": ErrorResponse, "description": "not_found (also for another tenant's subject)"},
}


@router.post(
    "",
    status_code=201,
    response_model=SubjectOut,
    responses={
        **_ERRORS,
        413: {"model": ErrorResponse, "description": "file_too_large, image_too_large"},
        415: {"model": ErrorResponse, "description": "unsupported_format"},
        422: {
            "model": ErrorResponse,
            "description": (
                "missing_field, invalid_field, invalid_consent, guardian_consent_required, "
                "no_face, "
                "multiple_faces, face_too_small, low_quality, photos_mismatch, corrupt_image"
            ),
        },
    },
)
async def create_subject(
    services: ServicesDep,
    caller: SubjectsCaller,
    display_name: Annotated[str, Form(description="name or pseudonym")],
    photos: Annotated[list[UploadFile], File(description="1-5 photos, one face each")],
    scope: Annotated[str, Form(description="comma list: swap_source, swap_target")],
    purpose: Annotated[str, Form()],
    jurisdiction: Annotated[str, Form(description="e.g. CN, EU, US-IL")],
    collection_method: Annotated[str, Form(description="e.g. signed_form, e_signature")],
    notice_version: Annotated[str, Form()],
    evidence_sha256: Annotated[str | None, Form(description="SHA-256 of the signed form")] = None,
    evidence_document: Annotated[
        UploadFile | None, File(description="the signed form; only its hash is kept")
    ] = None,
    granted_at: Annotated[datetime | None, Form()] = None,
    valid_from: Annotated[datetime | None, Form()] = None,
    expires_at: Annotated[datetime | None, Form(description="default and maximum: 3 years")] = None,
    is_minor: Annotated[bool, Form()] = False,
    guardian_consent: Annotated[bool, Form()] = False,
) -> JSONResponse:
    """Enrol a person with their consent record."""
    settings = services.settings
    evidence = (evidence_sha256 or "").strip().lower()
    if evidence_document is not None:
        evidence = hashlib.sha256(await evidence_document.read()).hexdigest()
    if len(photos) > settings.enrol_max_photos:
        raise ValidationError(
            f"send at most {settings.enrol_max_photos} photos",
            code="invalid_field",
            details={"field": "photos"},
        )
    decoded, hashes = [], []
    for i, photo in enumerate(photos):
        data = await photo.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise UploadError(
                f"photo {i} is larger than {settings.max_upload_bytes} bytes", code="file_too_large"
            )
        decoded.append(
            decode_image(
                data,
                allowed_formats=settings.allowed_formats,
                max_pixels=settings.max_pixels,
                field=f"photos[{i}]",
            )
        )
        hashes.append(hashlib.sha256(data).hexdigest())
    fields = ConsentFields(
        scope=frozenset(p.strip() for p in scope.split(",") if p.strip()),
        purpose=purpose,
        jurisdiction=jurisdiction,
        collection_method=collection_method,
        evidence_sha256=evidence,
        notice_version=notice_version,
        granted_at=granted_at,
        valid_from=valid_from,
        expires_at=expires_at,
        is_minor=is_minor,
        guardian_consent=guardian_consent,
    )
    subject = await run_in_threadpool(
        lambda: enrol_subject(
            settings=settings,
            db=services.db,
            store=services.store,
            biometrics=services.biometrics,
            tenant=caller.tenant,
            actor=caller.key_id,
            display_name=display_name,
            photos=decoded,
            photo_sha256s=hashes,
            consent=fields,
        )
    )
    view = subject_view(services.db, tenant=caller.tenant, subject_id=subject.id)
    record_for(
        services,
        caller,
        "subject.enrolled",
        objects={"subject_id": subject.id},
        details={
            "photo_sha256s": hashes,
            "evidence_sha256": evidence,
            "scope": sorted(fields.scope),
        },
    )
    return JSONResponse(SubjectOut.model_validate(view).model_dump(mode="json"), status_code=201)


@router.get("", response_model=SubjectPage, responses=_ERRORS)
def list_all(
    services: ServicesDep,
    caller: SubjectsCaller,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SubjectPage:
    return SubjectPage.model_validate(
        list_subjects(services.db, tenant=caller.tenant, page=page, page_size=page_size)
    )


@router.get("/{subject_id}", response_model=SubjectOut, responses=_ERRORS)
def get_one(subject_id: str, services: ServicesDep, caller: SubjectsCaller) -> SubjectOut:
    return SubjectOut.model_validate(
        subject_view(services.db, tenant=caller.tenant, subject_id=subject_id)
    )


def _withdraw(
    services: ServicesDep, caller: SubjectsCaller, subject_id: str, channel: str
) -> SubjectOut:
    view = withdraw_subject(
        db=services.db,
        store=services.store,
        tenant=caller.tenant,
        subject_id=subject_id,
        channel=channel,
    )
    record_for(
        services,
        caller,
        "subject.withdrawn",
        objects={"subject_id": subject_id},
        details={"channel": channel, "tombstone": view.get("tombstone")},
    )
    for canceled in (view.get("tombstone") or {}).get("canceled_tasks", []):
        services.task_finished(canceled)
    return SubjectOut.model_validate(view)


@router.post("/{subject_id}/withdraw", response_model=SubjectOut, responses=_ERRORS)
def withdraw(
    subject_id: str,
    services: ServicesDep,
    caller: SubjectsCaller,
    channel: Annotated[str, Form(description="how the withdrawal reached you")] = "api",
) -> SubjectOut:
    """Withdraw consent now: blocks new tasks, cancels queued ones, deletes templates, photos
    and derived outputs; a tombstone remains."""
    return _withdraw(services, caller, subject_id, channel)


@router.delete("/{subject_id}", response_model=SubjectOut, responses=_ERRORS)
def delete(subject_id: str, services: ServicesDep, caller: SubjectsCaller) -> SubjectOut:
    """Same as withdraw (channel ``api_delete``)."""
    return _withdraw(services, caller, subject_id, "api_delete")
