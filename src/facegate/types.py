"""Plain value types shared across the package."""

from __future__ import annotations

import enum

__all__ = ["FINAL_STATUSES", "TaskStatus"]


class TaskStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    PENDING_REVIEW = "pending_review"
    CANCELED = "canceled"


FINAL_STATUSES = frozenset(
    {TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.REJECTED, TaskStatus.CANCELED}
)
