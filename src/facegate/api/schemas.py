"""Response bodies, as documented in the OpenAPI description."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

__all__ = ["ErrorBody", "ErrorResponse", "TaskAccepted", "TaskOut"]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class TaskAccepted(BaseModel):
    task_id: str
    status: str
    status_url: str
    result_url: str | None = None


class TaskError(BaseModel):
    code: str
    message: str


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
