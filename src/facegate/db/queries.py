"""Query functions. Keyword-only arguments; each takes the session it works in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from facegate.db.tables import ApiToken, Task
from facegate.types import FINAL_STATUSES, TaskStatus

__all__ = [
    "claim_task",
    "count_tasks_by_status",
    "create_task",
    "create_token",
    "extend_lease",
    "finish_task",
    "get_task",
    "get_token",
    "list_tokens",
    "now",
    "revoke_token",
    "tasks_with_expired_leases",
    "tasks_with_expired_outputs",
]


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# tokens ---------------------------------------------------------------------------------------


def create_token(
    session: Session, *, key_id: str, secret_sha256: str, name: str, tenant: str, scopes: list[str]
) -> ApiToken:
    token = ApiToken(
        key_id=key_id,
        secret_sha256=secret_sha256,
        name=name,
        tenant=tenant,
        scopes=",".join(sorted(scopes)),
        created_at=now(),
    )
    session.add(token)
    session.flush()
    return token


def get_token(session: Session, *, key_id: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.key_id == key_id))


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, *, key_id: str) -> bool:
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.key_id == key_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    return bool(result.rowcount)


# tasks ----------------------------------------------------------------------------------------


def create_task(session: Session, **fields: Any) -> Task:
    stamp = now()
    task = Task(status=TaskStatus.QUEUED, created_at=stamp, updated_at=stamp, attempts=0, **fields)
    session.add(task)
    session.flush()
    return task


def get_task(
    session: Session, *, task_id: str, tenant: str | None = None, for_update: bool = False
) -> Task | None:
    query = select(Task).where(Task.id == task_id)
    if tenant is not None:
        query = query.where(Task.tenant == tenant)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def get_task_by_idempotency_key(session: Session, *, tenant: str, key: str) -> Task | None:
    return session.scalar(select(Task).where(Task.tenant == tenant, Task.idempotency_key == key))


def claim_task(session: Session, *, task_id: str, worker_id: str, lease_s: float) -> bool:
    """Atomically move a queued task to running. False when another worker has it or it ended."""
    stamp = now()
    result = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == TaskStatus.QUEUED)
        .values(
            status=TaskStatus.RUNNING,
            worker_id=worker_id,
            started_at=stamp,
            updated_at=stamp,
            lease_until=stamp + timedelta(seconds=lease_s),
            attempts=Task.attempts + 1,
        )
    )
    return bool(result.rowcount)


def extend_lease(session: Session, *, task_id: str, worker_id: str, lease_s: float) -> bool:
    stamp = now()
    result = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.worker_id == worker_id, Task.status == TaskStatus.RUNNING)
        .values(lease_until=stamp + timedelta(seconds=lease_s), updated_at=stamp)
    )
    return bool(result.rowcount)


def finish_task(
    session: Session, *, task_id: str, worker_id: str | None, status: TaskStatus, **fields: Any
) -> bool:
    """Record a final (or review) state, only if this worker still holds the task."""
    stamp = now()
    query = update(Task).where(Task.id == task_id, Task.status == TaskStatus.RUNNING)
    if worker_id is not None:
        query = query.where(Task.worker_id == worker_id)
    values: dict[str, Any] = {"status": status, "updated_at": stamp, "lease_until": None, **fields}
    if status in FINAL_STATUSES:
        values["finished_at"] = stamp
    result = session.execute(query.values(**values))
    return bool(result.rowcount)


def tasks_with_expired_leases(session: Session, *, at: datetime) -> list[Task]:
    return list(
        session.scalars(
            select(Task).where(Task.status == TaskStatus.RUNNING, Task.lease_until < at)
        )
    )


def tasks_with_expired_outputs(session: Session, *, at: datetime) -> list[Task]:
    return list(
        session.scalars(select(Task).where(Task.result_key.is_not(None), Task.expires_at < at))
    )


def tasks_queued_before(session: Session, *, at: datetime) -> list[Task]:
    return list(
        session.scalars(select(Task).where(Task.status == TaskStatus.QUEUED, Task.updated_at < at))
    )


def count_tasks_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Task.status, func.count()).group_by(Task.status))
    return {status: count for status, count in rows}


def count_active_tasks(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count()).where(Task.status.in_([TaskStatus.QUEUED, TaskStatus.RUNNING]))
        )
        or 0
    )


def tasks_in_status(session: Session, *, tenant: str, status: str, limit: int = 200) -> list[Task]:
    return list(
        session.scalars(
            select(Task)
            .where(Task.tenant == tenant, Task.status == status)
            .order_by(Task.created_at)
            .limit(limit)
        )
    )


def tasks_held_before(session: Session, *, at: datetime) -> list[Task]:
    return list(
        session.scalars(
            select(Task).where(Task.status == TaskStatus.PENDING_REVIEW, Task.updated_at < at)
        )
    )
