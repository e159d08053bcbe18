"""Face tasks: submit, poll, fetch the result, cancel/delete; and the synchronous shortcut."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from facegate.api.deps import ProcessCaller, ServicesDep, record_for
from facegate.api.schemas import AUTH_ERRORS, ErrorResponse, TaskAccepted, TaskOut
from facegate.db import queries as q
from facegate.db.tables import Task
from facegate.errors import ConflictError, FaceGateError, NotFoundError
from facegate.images import media_type_for
from facegate.service import Services
from facegate.submission import Submission, parse_swap_options, submit_task
from facegate.types import FINAL_STATUSES, TaskStatus
from facegate.webhooks import validate_callback_url

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/face", tags=["face tasks"])

_ERRORS = {
    **AUTH_ERRORS,
    404: {"model": ErrorResponse, "description": "not_found (also for another tenant's task)"},
}
_UPLOAD_ERRORS = {
    **_ERRORS,
    409: {"model": ErrorResponse, "description": "idempotency_key_reused"},
    413: {
        "model": ErrorResponse,
        "description": "file_too_large, request_too_large, image_too_large",
    },
    415: {"model": ErrorResponse, "description": "unsupported_format"},
    422: {
        "model": ErrorResponse,
        "description": "missing_field, invalid_field, invalid_option, "
        "empty_file, corrupt_image, animated_image, same_image",
    },
}


def task_out(request: Request, task: Task) -> TaskOut:
    status_url = str(request.url_for("get_task", task_id=task.id))
    result_url = None
    if task.status == TaskStatus.SUCCEEDED and task.result_key:
        result_url = str(request.url_for("get_task_result", task_id=task.id))
    error = None
    if task.error_code:
        error = {"code": task.error_code, "message": task.error_message or ""}
    return TaskOut(
        task_id=task.id,
        status=task.status,
        status_url=status_url,
        result_url=result_url,
        created_at=q.aware(task.created_at),  # type: ignore[arg-type]
        started_at=q.aware(task.started_at),
        finished_at=q.aware(task.finished_at),
        expires_at=q.aware(task.expires_at),
        attempts=task.attempts,
        options=task.options,
        error=error,  # type: ignore[arg-type]
        report=task.report or {},
        result_sha256=task.result_sha256 if task.result_key else None,
        source_subject_id=task.source_subject_id,
    )


async def _submit(
    request: Request,
    services: Services,
    caller: ProcessCaller,
    source_image: UploadFile,
    target_image: UploadFile,
    options: dict,
    idempotency_key: str | None,
    source_subject_id: str | None,
    callback_url: str | None = None,
) -> tuple[Task, bool]:
    if callback_url:
        options = {
            **options,
            "callback_url": validate_callback_url(callback_url, services.settings),
            "base_url": str(request.base_url),
        }
    limit = services.settings.max_upload_bytes
    source = await source_image.read(limit + 1)
    target = await target_image.read(limit + 1)
    sub = Submission(
        tenant=caller.tenant,
        token_key_id=caller.key_id,
        source_bytes=source,
        target_bytes=target,
        options=options,
        idempotency_key=(idempotency_key or None),
        source_subject_id=(source_subject_id or None),
        client_ip=caller.client_ip,
        request_id=caller.request_id,
    )
    return await run_in_threadpool(submit_task, services, sub)


FormImage = Annotated[UploadFile, File(description="JPEG, PNG or WebP; format read from bytes")]


def _options(
    face_selection: Annotated[str, Form(description="largest | all | index | box")] = "largest",
    face_index: Annotated[int | None, Form(description="with index: 0 = leftmost face")] = None,
    face_box: Annotated[str | None, Form(description="with box: 'x,y,width,height'")] = None,
    shape: Annotated[float, Form(description="0 = target's face shape, 1 = source's")] = 0.5,
    mouth_mask: Annotated[bool, Form(description="keep the target's mouth interior")] = True,
    keep_eyes: Annotated[bool, Form(description="keep the target's eyes")] = False,
    output_format: Annotated[
        str | None, Form(description="jpeg | png | webp; default: target's")
    ] = None,
) -> dict:
    return parse_swap_options(
        face_selection=face_selection,
        face_index=face_index,
        face_box=face_box,
        shape=shape,
        mouth_mask=mouth_mask,
        keep_eyes=keep_eyes,
        output_format=output_format,
    )


OptionsDep = Annotated[dict, Depends(_options)]
CallbackField = Annotated[
    str | None,
    Form(description="http(s) URL to POST the final task state to (signed; see docs)"),
]
SubjectField = Annotated[
    str | None,
    Form(description="the enrolled subject whose face is the source (required by consent)"),
]


@router.post("/tasks", status_code=202, response_model=TaskAccepted, responses=_UPLOAD_ERRORS)
async def create_task(
    request: Request,
    services: ServicesDep,
    caller: ProcessCaller,
    source_image: FormImage,
    target_image: FormImage,
    options: OptionsDep,
    source_subject_id: SubjectField = None,
    callback_url: CallbackField = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Queue a face swap. Answers 202 at once; poll ``status_url``."""
    task, _ = await _submit(
        request,
        services,
        caller,
        source_image,
        target_image,
        options,
        idempotency_key,
        source_subject_id,
        callback_url,
    )
    out = task_out(request, task)
    body = TaskAccepted(
        task_id=out.task_id, status=out.status, status_url=out.status_url, error=out.error
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=202)


@router.post("/process", response_model=TaskAccepted, responses=_UPLOAD_ERRORS)
async def process_sync(
    request: Request,
    services: ServicesDep,
    caller: ProcessCaller,
    source_image: FormImage,
    target_image: FormImage,
    options: OptionsDep,
    source_subject_id: SubjectField = None,
    callback_url: CallbackField = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Submit and wait up to ``FACEGATE_SYNC_WAIT_S``: 200 with the final state, or 202 with
    the still-running task to poll."""
    task, _ = await _submit(
        request,
        services,
        caller,
        source_image,
        target_image,
        options,
        idempotency_key,
        source_subject_id,
        callback_url,
    )
    deadline = time.monotonic() + services.settings.sync_wait_s
    delay = 0.005
    finished = services.notifier.subscribe(task.id)
    try:
        while True:
            with services.db.session() as s:
                current = q.get_task(s, task_id=task.id)
            if current is None:
                raise NotFoundError("task not found")
            done = current.status in FINAL_STATUSES or current.status == TaskStatus.PENDING_REVIEW
            remaining = deadline - time.monotonic()
            if done or remaining <= 0:
                break
            # woken at once by an in-process worker; polls for workers elsewhere
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), timeout=min(delay, remaining))
            finished.clear()
            delay = min(delay * 1.5, 0.1)
    finally:
        services.notifier.unsubscribe(task.id, finished)
    out = task_out(request, current)
    body = TaskAccepted(
        task_id=out.task_id,
        status=out.status,
        status_url=out.status_url,
        result_url=out.result_url,
        error=out.error,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if done else 202)


def _get_own_task(services: Services, caller_tenant: str, task_id: str) -> Task:
    with services.db.session() as s:
        task = q.get_task(s, task_id=task_id, tenant=caller_tenant)
    if task is None:
        raise NotFoundError(f"no task {task_id!r}")
    return task


@router.get("/tasks/{task_id}", response_model=TaskOut, responses=_ERRORS)
def get_task(
    task_id: str, request: Request, services: ServicesDep, caller: ProcessCaller
) -> TaskOut:
    return task_out(request, _get_own_task(services, caller.tenant, task_id))


@router.get(
    "/tasks/{task_id}/result",
    responses={
        **_ERRORS,
        200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}},
        409: {"model": ErrorResponse, "description": "result_not_ready"},
        410: {"model": ErrorResponse, "description": "result_expired (deleted or past its TTL)"},
    },
)
def get_task_result(task_id: str, services: ServicesDep, caller: ProcessCaller) -> Response:
    task = _get_own_task(services, caller.tenant, task_id)
    if task.status != TaskStatus.SUCCEEDED:
        raise ConflictError(f"task is {task.status}; no result", code="result_not_ready")
    expires = q.aware(task.expires_at)
    if not task.result_key or (expires is not None and expires < q.now()):
        raise ResultGone("the result was deleted or has expired")
    try:
        data = services.store.get(task.result_key)
    except FileNotFoundError:
        raise ResultGone("the result was deleted or has expired") from None
    return Response(
        content=data,
        media_type=media_type_for(str(task.result_format)),
        headers={"Cache-Control": "no-store", "ETag": f'"{task.result_sha256}"'},
    )


class ResultGone(FaceGateError):
    status = 410
    default_code = "result_expired"


@router.delete(
    "/tasks/{task_id}",
    response_model=TaskOut,
    responses={**_ERRORS, 409: {"model": ErrorResponse, "description": "task_running"}},
)
def delete_task(
    task_id: str, request: Request, services: ServicesDep, caller: ProcessCaller
) -> TaskOut:
    """Cancel a queued task, or delete a finished task's files (the record stays)."""
    with services.db.session() as s:
        row = q.get_task(s, task_id=task_id, tenant=caller.tenant, for_update=True)
        if row is None:
            raise NotFoundError(f"no task {task_id!r}")
        if row.status == TaskStatus.RUNNING:
            raise ConflictError(
                "the task is running; try again when it has finished", code="task_running"
            )
        canceled = row.status in {TaskStatus.QUEUED, TaskStatus.PENDING_REVIEW}
        if canceled:
            row.status = TaskStatus.CANCELED
            row.finished_at = q.now()
        doomed = [k for k in (row.result_key, row.source_key, row.target_key) if k]
        row.result_key = row.source_key = row.target_key = None
        row.deleted_at = row.updated_at = q.now()
    for key in doomed:  # after the commit, as everywhere: never a row pointing at no file
        services.store.delete(key)
    record_for(
        services,
        caller,
        "task.canceled" if canceled else "task.deleted",
        objects={"task_id": task_id},
        details={"status": row.status},
    )
    if canceled:
        services.task_finished(task_id)
    return task_out(request, _get_own_task(services, caller.tenant, task_id))
