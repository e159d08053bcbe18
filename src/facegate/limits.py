"""Abuse limits: per-token rate (token bucket), concurrent tasks and daily quota, and a global
queue cap. All state lives in the shared database, so the limits hold across several API
processes (the ``limits`` package has no SQL backend; one atomic UPDATE is enough here).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from datetime import time as dtime

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from facegate.db import Database
from facegate.db.tables import RateBucket, Task
from facegate.errors import FaceGateError
from facegate.settings import Settings
from facegate.types import TaskStatus

__all__ = ["LimitExceeded", "check_rate", "check_submission"]


class LimitExceeded(FaceGateError):
    """429 (per caller) or 503 (the whole service is full), with a Retry-After."""

    status = 429
    default_code = "rate_limited"

    def __init__(self, message: str, *, code: str, retry_after: float, status: int = 429) -> None:
        super().__init__(message, code=code, details={"retry_after_s": round(retry_after, 2)})
        self.status = status  # type: ignore[misc]
        self.retry_after = max(1, int(retry_after + 0.999))


def check_rate(
    db: Database, *, key: str, rate: float, burst: int, now: float | None = None
) -> None:
    """Take one token from ``key``'s bucket or raise ``rate_limited``."""
    now = time.time() if now is None else now
    refilled = RateBucket.tokens + (now - RateBucket.updated) * rate
    level = case((refilled > burst, float(burst)), else_=refilled)
    for _ in range(3):
        with db.session() as s:
            taken = s.execute(
                update(RateBucket)
                .where(RateBucket.key == key, level >= 1.0)
                .values(tokens=level - 1.0, updated=now)
            ).rowcount
            if taken:
                return
            row = s.get(RateBucket, key)
            if row is not None:
                current = min(float(burst), row.tokens + (now - row.updated) * rate)
                wait = (1.0 - current) / rate if rate > 0 else 3600.0
                raise LimitExceeded(
                    f"rate limit: {rate:g} requests/s with bursts of {burst}",
                    code="rate_limited",
                    retry_after=wait,
                )
        try:
            with db.session() as s:
                s.add(RateBucket(key=key, tokens=float(burst) - 1.0, updated=now))
            return
        except IntegrityError:
            continue  # another process created the bucket first: take from it
    raise LimitExceeded("rate limit", code="rate_limited", retry_after=1.0)


def check_submission(db: Database, settings: Settings, *, key_id: str) -> None:
    """Concurrent tasks and daily quota of this token; the global queue cap."""
    active = (TaskStatus.QUEUED, TaskStatus.RUNNING)
    today = datetime.combine(datetime.now(UTC).date(), dtime.min, tzinfo=UTC)  # UTC day
    with db.session() as s:
        queue = s.scalar(select(func.count()).where(Task.status.in_(active))) or 0
        mine = (
            s.scalar(
                select(func.count()).where(Task.token_key_id == key_id, Task.status.in_(active))
            )
            or 0
        )
        used = (
            s.scalar(
                select(func.count()).where(Task.token_key_id == key_id, Task.created_at >= today)
            )
            or 0
        )
    if queue >= settings.max_queue:
        raise LimitExceeded(
            f"the service has {queue} tasks waiting; try again later",
            code="queue_full",
            retry_after=5.0,
            status=503,
        )
    if mine >= settings.max_concurrent_tasks_per_token:
        raise LimitExceeded(
            f"this token has {mine} unfinished tasks (limit "
            f"{settings.max_concurrent_tasks_per_token})",
            code="too_many_tasks",
            retry_after=2.0,
        )
    if used >= settings.daily_quota_per_token:
        tomorrow = today.timestamp() + 86400
        raise LimitExceeded(
            f"daily quota of {settings.daily_quota_per_token} tasks used",
            code="quota_exceeded",
            retry_after=tomorrow - time.time(),
        )
