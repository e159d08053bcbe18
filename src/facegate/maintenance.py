"""Periodic upkeep, shared by the in-process scheduler, ``facegate worker`` and
``facegate cleanup``: requeue or fail tasks whose worker died, re-send lost queue messages,
delete expired outputs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from facegate.db import Database
from facegate.db import queries as q
from facegate.settings import Settings
from facegate.storage import BlobStore, LocalBlobStore
from facegate.types import TaskStatus
from facegate.worker import delete_uploads

__all__ = ["MaintenanceReport", "reap_expired_leases", "run_maintenance"]

log = logging.getLogger(__name__)


@dataclass
class MaintenanceReport:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    outputs_deleted: list[str] = field(default_factory=list)
    temporaries_removed: int = 0
    consents_expired: list[str] = field(default_factory=list)
    reviews_expired: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "requeued": self.requeued,
            "failed_worker_lost": self.failed,
            "resent": self.resent,
            "outputs_deleted": self.outputs_deleted,
            "temporaries_removed": self.temporaries_removed,
            "consents_expired": self.consents_expired,
            "reviews_expired": self.reviews_expired,
        }


def reap_expired_leases(
    *,
    settings: Settings,
    db: Database,
    store: BlobStore,
    enqueue: Callable[[str], None],
    report: MaintenanceReport,
) -> None:
    """A running task whose lease ran out lost its worker: requeue it, or fail it after
    ``max_attempts`` attempts with ``worker_lost``."""
    stamp = q.now()
    with db.session() as s:
        expired = [(t.id, t.attempts) for t in q.tasks_with_expired_leases(s, at=stamp)]
    for task_id, attempts in expired:
        with db.session() as s:
            task = q.get_task(s, task_id=task_id, for_update=True)
            if task is None or task.status != TaskStatus.RUNNING:
                continue
            lease = q.aware(task.lease_until)
            if lease is None or lease >= stamp:
                continue  # renewed meanwhile
            if attempts >= settings.max_attempts:
                task.status = TaskStatus.FAILED
                task.error_code = "worker_lost"
                task.error_message = (
                    f"the worker processing this task stopped responding {attempts} time(s); "
                    "giving up"
                )
                task.finished_at = stamp
                report.failed.append(task_id)
            else:
                task.status = TaskStatus.QUEUED
                report.requeued.append(task_id)
            task.lease_until = None
            task.worker_id = None
            task.updated_at = stamp
        if task_id in report.failed:
            delete_uploads(db, store, task_id)
        else:
            enqueue(task_id)
            log.warning("task %s lost its worker; requeued (attempt %d done)", task_id, attempts)


def resend_stale_queued(
    *, settings: Settings, db: Database, enqueue: Callable[[str], None], report: MaintenanceReport
) -> None:
    """A queued task whose message was lost (queue wiped, crash between commit and enqueue) is
    sent again. Duplicates are harmless: claiming a task is atomic."""
    cutoff = q.now() - timedelta(seconds=max(5 * settings.lease_s, 60))
    with db.session() as s:
        stale = q.tasks_queued_before(s, at=cutoff)
        for task in stale:
            task.updated_at = q.now()
        ids = [t.id for t in stale]
    for task_id in ids:
        enqueue(task_id)
        report.resent.append(task_id)


def delete_expired_outputs(*, db: Database, store: BlobStore, report: MaintenanceReport) -> None:
    with db.session() as s:
        for task in q.tasks_with_expired_outputs(s, at=q.now()):
            if task.result_key:
                store.delete(task.result_key)
            task.result_key = None
            task.deleted_at = q.now()
            report.outputs_deleted.append(task.id)


def expire_reviews(
    *, settings: Settings, db: Database, store: BlobStore, report: MaintenanceReport
) -> None:
    """A task nobody reviewed within ``review_ttl_s`` is rejected and its files deleted: no
    task waits forever, and no held image is kept indefinitely."""
    cutoff = q.now() - timedelta(seconds=settings.review_ttl_s)
    doomed: list[str] = []
    with db.session() as s:
        for task in q.tasks_held_before(s, at=cutoff):
            doomed += [k for k in (task.result_key, task.source_key, task.target_key) if k]
            task.result_key = task.source_key = task.target_key = None
            task.status = TaskStatus.REJECTED
            task.error_code = "review_expired"
            task.error_message = "no reviewer decided in time"
            task.finished_at = task.updated_at = q.now()
            report.reviews_expired.append(task.id)
    for key in doomed:
        store.delete(key)


def run_maintenance(
    *, settings: Settings, db: Database, store: BlobStore, enqueue: Callable[[str], None]
) -> MaintenanceReport:
    report = MaintenanceReport()
    reap_expired_leases(settings=settings, db=db, store=store, enqueue=enqueue, report=report)
    resend_stale_queued(settings=settings, db=db, enqueue=enqueue, report=report)
    delete_expired_outputs(db=db, store=store, report=report)
    expire_reviews(settings=settings, db=db, store=store, report=report)
    if isinstance(store, LocalBlobStore):
        report.temporaries_removed = store.remove_stale_temporaries()
    return report
