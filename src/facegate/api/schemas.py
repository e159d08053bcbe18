"""Response bodies, as documented in the OpenAPI description."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

__all__ = [
    "AUTH_ERRORS",
    "ErrorBody",
    "ErrorResponse",
    "SubjectOut",
    "SubjectPage",
    "TaskAccepted",
    "TaskOut",
    "error_doc",
]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class TaskError(BaseModel):
    code: str
    message: str


class TaskAccepted(BaseModel):
    task_id: str
    status: str
    status_url: str
    result_url: str | None = None
    error: TaskError | None = None


class TaskOut(BaseModel):
    task_id: str
    status: str
    status_url: str
    result_url: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
    attempts: int
    options: dict[str, Any]
    error: TaskError | None
    report: dict[str, Any]
    result_sha256: str | None
    source_subject_id: str | None


class ConsentOut(BaseModel):
    scope: list[str]
    purpose: str
    jurisdiction: str
    granted_at: datetime
    valid_from: datetime
    expires_at: datetime
    collection_method: str
    evidence_sha256: str
    notice_version: str
    is_minor: bool
    guardian_consent: bool
    status: str
    withdrawn_at: datetime | None
    withdrawal_channel: str | None


class SubjectOut(BaseModel):
    """A subject as the API shows it: never its templates or photos."""

    subject_id: str
    display_name: str
    status: str
    created_at: datetime
    template_count: int
    consent: ConsentOut | None
    tombstone: dict[str, Any] | None = None


class SubjectPage(BaseModel):
    items: list[SubjectOut]
    page: int
    page_size: int
    total: int


def error_doc(codes: str) -> dict[str, Any]:
    """An OpenAPI response entry: the error body, with the codes it may carry."""
    return {"model": ErrorResponse, "description": codes}


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: error_doc("missing_token, malformed_token"),
    403: error_doc("invalid_token, token_revoked, insufficient_scope, ip_not_allowed"),
    429: error_doc("rate_limited (see Retry-After)"),
}
