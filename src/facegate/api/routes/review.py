"""Human review of tasks held by the content-safety check (scope ``review``)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from facegate.api.deps import ReviewCaller, ServicesDep, record_for
from facegate.api.routes.tasks import task_out
from facegate.api.schemas import AUTH_ERRORS, ErrorResponse, TaskOut
from facegate.db import queries as q
from facegate.errors import ConflictError, NotFoundError
from facegate.types import TaskStatus

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/review", tags=["review"])

_ERRORS = {
    **AUTH_ERRORS,
    404: {"model": ErrorResponse, "description": "not_found (also for another tenant's task)"},
}


class ReviewIn(BaseModel):
    decision: Literal["approve", "reject"]
    note: str = Field(default="", max_length=2000)


@router.get("", response_model=list[TaskOut], responses=_ERRORS)
def pending(request: Request, services: ServicesDep, caller: ReviewCaller) -> list[TaskOut]:
    """The tenant's tasks waiting for a reviewer, oldest first."""
    with services.db.session() as s:
        tasks = q.tasks_in_status(s, tenant=caller.tenant, status=TaskStatus.PENDING_REVIEW)
    return [task_out(request, t) for t in tasks]


@router.post(
    "/{task_id}",
    response_model=TaskOut,
    responses={**_ERRORS, 409: {"model": ErrorResponse, "description": "not_pending_review"}},
)
def decide(
    task_id: str, body: ReviewIn, request: Request, services: ServicesDep, caller: ReviewCaller
) -> TaskOut:
    """Approve (held inputs go on to the engine; a held output is released) or reject."""
    requeue = False
    doomed: list[str] = []
    with services.db.session() as s:
        task = q.get_task(s, task_id=task_id, tenant=caller.tenant, for_update=True)
        if task is None:
            raise NotFoundError(f"no task {task_id!r}")
        if task.status != TaskStatus.PENDING_REVIEW:
            raise ConflictError(
                f"the task is {task.status}, not pending_review", code="not_pending_review"
            )
        stage = "output" if task.result_key else "inputs"
        review = {
            "decision": body.decision,
            "stage": stage,
            "note": body.note,
            "reviewer": caller.key_id,
            "at": q.now().isoformat(),
        }
        task.report = {**(task.report or {}), "review": review}
        now = q.now()
        task.updated_at = now
        if body.decision == "reject":
            task.status = TaskStatus.REJECTED
            task.error_code = "nsfw_content"
            task.error_message = "rejected by a reviewer"
            task.finished_at = now
            doomed = [k for k in (task.result_key, task.source_key, task.target_key) if k]
            task.result_key = task.source_key = task.target_key = None
        elif stage == "output":
            task.status = TaskStatus.SUCCEEDED
            task.finished_at = now
            doomed = [k for k in (task.source_key, task.target_key) if k]
            task.source_key = task.target_key = None
        else:
            task.status = TaskStatus.QUEUED
            requeue = True
    for key in doomed:
        services.store.delete(key)
    record_for(
        services,
        caller,
        "task.reviewed",
        objects={"task_id": task_id},
        details={"decision": body.decision, "stage": review["stage"], "note": body.note},
    )
    if requeue:
        services.queue.enqueue(task_id)
    else:  # approved output or rejection: a final state, like any the worker records
        services.task_finished(task_id)
    with services.db.session() as s:
        task = q.get_task(s, task_id=task_id)
    return task_out(request, task)  # type: ignore[arg-type]
