"""Accepting a task: validate both images, store their pixels, record the row, enqueue.

Either everything is recorded or nothing is left behind: a failure after a blob was written
deletes it again.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from facegate.consent import ConsentDecision
from facegate.db import queries as q
from facegate.db.tables import Task
from facegate.enforcement import source_terms_decision
from facegate.errors import ConflictError, UnavailableError, UploadError, ValidationError
from facegate.images import DecodedImage, decode_image
from facegate.limits import check_submission
from facegate.service import Services
from facegate.storage import array_to_bytes, new_key
from facegate.swap.base import FaceSelection, SwapOptions
from facegate.types import TaskStatus

__all__ = ["Submission", "parse_swap_options", "submit_task"]

_OUTPUT_FORMATS = {"JPEG", "PNG", "WEBP"}


@dataclass(frozen=True)
class Submission:
    tenant: str
    token_key_id: str
    source_bytes: bytes
    target_bytes: bytes
    options: dict[str, Any]
    idempotency_key: str | None = None
    source_subject_id: str | None = None
    client_ip: str | None = None
    request_id: str | None = None


def parse_swap_options(
    *,
    face_selection: str = "largest",
    face_index: int | None = None,
    face_box: str | None = None,
    shape: float = 0.5,
    mouth_mask: bool = True,
    keep_eyes: bool = False,
    output_format: str | None = None,
) -> dict[str, Any]:
    """Form fields -> the task's stored options. Raises ValidationError(invalid_option)."""
    mode = face_selection.strip().lower()
    if mode not in {"largest", "all", "index", "box"}:
        raise ValidationError(
            "face_selection must be one of largest, all, index, box", code="invalid_option"
        )
    index = None
    box = None
    if mode == "index":
        if face_index is None or face_index < 0:
            raise ValidationError(
                "face_selection=index needs face_index >= 0", code="invalid_option"
            )
        index = face_index
    if mode == "box":
        try:
            parts = [int(p) for p in (face_box or "").split(",")]
        except ValueError:
            parts = []
        if len(parts) != 4 or parts[2] <= 0 or parts[3] <= 0:
            raise ValidationError(
                "face_selection=box needs face_box='x,y,width,height' in target pixels",
                code="invalid_option",
            )
        box = (parts[0], parts[1], parts[2], parts[3])
    if not 0.0 <= shape <= 1.0:
        raise ValidationError(
            "shape must be between 0 (target's) and 1 (source's)", code="invalid_option"
        )
    fmt = None
    if output_format:
        fmt = output_format.strip().upper().replace("JPG", "JPEG")
        if fmt not in _OUTPUT_FORMATS:
            raise ValidationError("output_format must be jpeg, png or webp", code="invalid_option")
    swap = SwapOptions(
        selection=FaceSelection(mode=mode, index=index, box=box),
        shape=shape,
        mouth_mask=mouth_mask,
        keep_eyes=keep_eyes,
    )
    return {"swap": swap.to_dict(), "output_format": fmt}


def _decode(services: Services, data: bytes, field: str) -> DecodedImage:
    settings = services.settings
    if len(data) > settings.max_upload_bytes:
        raise UploadError(
            f"{field} is larger than {settings.max_upload_bytes} bytes", code="file_too_large"
        )
    return decode_image(
        data, allowed_formats=settings.allowed_formats, max_pixels=settings.max_pixels, field=field
    )


def submit_task(services: Services, sub: Submission) -> tuple[Task, bool]:
    """Returns (task, created). A repeated idempotency key returns the first task."""
    source_sha = hashlib.sha256(sub.source_bytes).hexdigest()
    target_sha = hashlib.sha256(sub.target_bytes).hexdigest()
    if sub.idempotency_key:
        with services.db.session() as s:
            first = q.get_task_by_idempotency_key(s, tenant=sub.tenant, key=sub.idempotency_key)
        if first is not None:
            return _same_request_or_conflict(first, source_sha, target_sha, sub.options), False
    check_submission(services.db, services.settings, key_id=sub.token_key_id)
    started = time.perf_counter()
    screen = services.screen
    if screen is not None and not screen.setup():
        raise UnavailableError(
            f"the NSFW detector could not be loaded ({screen.error}); FaceGate does not "
            "process without it",
            code="nsfw_detector_unavailable",
        )
    source = _decode(services, sub.source_bytes, "source_image")
    target = _decode(services, sub.target_bytes, "target_image")
    decode_ms = round((time.perf_counter() - started) * 1000.0, 2)
    if source_sha == target_sha:
        raise ValidationError("source_image and target_image are the same file", code="same_image")
    row = {
        "id": secrets.token_hex(8),
        "tenant": sub.tenant,
        "token_key_id": sub.token_key_id,
        "idempotency_key": sub.idempotency_key,
        "options": sub.options,
        "source_sha256": source_sha,
        "target_sha256": target_sha,
        "target_format": target.format,
        "source_subject_id": sub.source_subject_id,
        "report": {"timings_ms": {"decode": decode_ms}},
    }
    refusal = _consent_refusal(services, sub)
    if refusal is not None:
        # decided now: the task is recorded as rejected and its images are never stored
        with services.db.session() as s:
            task = q.create_task(s, **row)
            task.status = TaskStatus.REJECTED
            task.error_code, task.error_message = refusal.code, refusal.message
            task.finished_at = q.now()
            task.report = {
                **row["report"],
                "consent": {"enforcement": "biometric", "source": refusal.code},
            }
        _audit(
            services,
            sub,
            "task.rejected",
            task,
            {"error_code": refusal.code, "stage": "submission", "inputs_stored": False},
        )
        return task, True

    written: list[str] = []
    try:
        for pixels in (source.pixels, target.pixels):
            key = new_key("uploads", "npy")
            services.store.put(key, array_to_bytes(pixels), durable=False)
            written.append(key)
        with services.db.session() as s:
            task = q.create_task(s, source_key=written[0], target_key=written[1], **row)
    except IntegrityError:
        for key in written:
            services.store.delete(key)
        with services.db.session() as s:  # a concurrent request with the same key won the race
            first = q.get_task_by_idempotency_key(
                s, tenant=sub.tenant, key=str(sub.idempotency_key)
            )
        if first is None:
            raise
        return _same_request_or_conflict(first, source_sha, target_sha, sub.options), False
    except BaseException:
        for key in written:
            services.store.delete(key)
        raise
    _audit(services, sub, "task.submitted", task, {"options": sub.options})
    services.queue.enqueue(task.id)  # if this fails, maintenance re-sends queued tasks
    return task, True


def _audit(
    services: Services, sub: Submission, kind: str, task: Task, details: dict[str, Any]
) -> None:
    if services.auditor is None:
        return
    services.auditor.record(
        kind,
        actor=sub.token_key_id,
        tenant=sub.tenant,
        client_ip=sub.client_ip,
        request_id=sub.request_id,
        objects={"task_id": task.id, "source_subject_id": sub.source_subject_id},
        details={
            "source_sha256": task.source_sha256,
            "target_sha256": task.target_sha256,
            **details,
        },
    )


def _consent_refusal(services: Services, sub: Submission) -> ConsentDecision | None:
    if services.settings.consent_enforcement != "biometric":
        return None
    decision = source_terms_decision(
        services.db, tenant=sub.tenant, subject_id=sub.source_subject_id
    )
    return None if decision.allowed else decision


def _same_request_or_conflict(
    first: Task, source_sha: str, target_sha: str, options: dict[str, Any]
) -> Task:
    if (first.source_sha256, first.target_sha256) != (
        source_sha,
        target_sha,
    ) or first.options != options:
        raise ConflictError(
            "this Idempotency-Key was already used with a different request",
            code="idempotency_key_reused",
        )
    return first
