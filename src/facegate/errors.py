"""One exception tree. Each error carries a stable machine-readable ``code`` and its HTTP status.

Library code raises these; only the API and the CLI decide how to report them.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AuthError",
    "ConflictError",
    "FaceGateError",
    "ForbiddenError",
    "NotFoundError",
    "ProcessingError",
    "UnavailableError",
    "UploadError",
    "ValidationError",
]


class FaceGateError(Exception):
    """Base error: ``code`` is stable and documented; ``message`` is for people."""

    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class AuthError(FaceGateError):
    status = 401
    default_code = "unauthorized"


class ForbiddenError(FaceGateError):
    status = 403
    default_code = "forbidden"


class NotFoundError(FaceGateError):
    status = 404
    default_code = "not_found"


class ConflictError(FaceGateError):
    status = 409
    default_code = "conflict"


class ValidationError(FaceGateError):
    status = 422
    default_code = "invalid_field"


class UploadError(FaceGateError):
    """A bad upload. The status depends on the code (413 for size, 415 for format, 422 else)."""

    status = 422
    default_code = "corrupt_image"
    _status_by_code: ClassVar[dict[str, int]] = {
        "file_too_large": 413,
        "request_too_large": 413,
        "image_too_large": 413,
        "unsupported_format": 415,
    }

    def __init__(self, message: str, *, code: str, details: Any = None) -> None:
        super().__init__(message, code=code, details=details)
        self.status = self._status_by_code.get(code, 422)  # type: ignore[misc]


class ProcessingError(FaceGateError):
    """The engine cannot do this input well (no_face, face_too_small, ...): the task fails."""

    status = 422
    default_code = "processing_failed"


class UnavailableError(FaceGateError):
    status = 503
    default_code = "unavailable"
