"""Runs one queued task: claim it under a lease, keep the lease alive, run the pipeline, store
the result atomically, record the final state and delete the uploads.

A worker that dies mid-task stops renewing its lease;
:func:`facegate.maintenance.reap_expired_leases` then requeues the task (bounded by
``max_attempts``) or fails it with
``worker_lost``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from facegate.audit import Auditor
from facegate.biometrics import Biometrics
from facegate.db import Database
from facegate.db import queries as q
from facegate.enforcement import ConsentCheck
from facegate.metrics import Metrics
from facegate.pipeline import PipelineOutcome, StageTimer, run_pipeline
from facegate.provenance.stamp import Stamper
from facegate.screening import ContentScreen
from facegate.settings import Settings
from facegate.storage import BlobStore, array_from_bytes, new_key
from facegate.swap.base import EngineHealth, Processor, SwapOptions
from facegate.types import FINAL_STATUSES, TaskStatus

__all__ = ["Worker"]

log = logging.getLogger(__name__)


class _Heartbeat:
    """Renews the task's lease every third of its length until stopped."""

    def __init__(self, db: Database, task_id: str, worker_id: str, lease_s: float) -> None:
        self._stop = threading.Event()
        self._args = (db, task_id, worker_id, lease_s)
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{task_id}", daemon=True)

    def _run(self) -> None:
        db, task_id, worker_id, lease_s = self._args
        while not self._stop.wait(lease_s / 3.0):
            try:
                with db.session() as s:
                    q.extend_lease(s, task_id=task_id, worker_id=worker_id, lease_s=lease_s)
            except Exception:  # a missed beat is survivable; the next one retries
                log.exception("lease renewal failed for task %s", task_id)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class Worker:
    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        store: BlobStore,
        processor: Processor,
        metrics: Metrics | None = None,
        on_finish: Callable[[str], None] | None = None,
        biometrics: Biometrics | None = None,
        screen: ContentScreen | None = None,
        auditor: Auditor | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.store = store
        self.processor = processor
        self.metrics = metrics
        self.on_finish = on_finish
        if settings.consent_enforcement != "biometric" and processor.name != "test-only":
            raise RuntimeError(
                f"refusing to run the {processor.name!r} engine with consent enforcement off"
            )
        self.screen = screen
        self.auditor = auditor
        self.stamper = Stamper(settings)
        self.biometrics = None
        if settings.consent_enforcement == "biometric":
            self.biometrics = biometrics or Biometrics()
        self.health = EngineHealth.STARTING
        self.setup_error: str | None = None

    def setup(self) -> None:
        try:
            self.processor.setup()
            if self.biometrics is not None:
                self.biometrics.setup()
            if self.screen is not None:
                self.screen.setup()  # failure is reported by /ready and fails tasks, not setup
        except Exception as exc:
            self.health = EngineHealth.SETUP_FAILED
            self.setup_error = f"{type(exc).__name__}: {exc}"
            log.exception("engine setup failed")
            raise
        self.health = EngineHealth.READY

    @staticmethod
    def worker_id() -> str:
        return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"

    def execute(self, task_id: str) -> None:
        """Run a task if it is still queued; never leaves it ``running`` on a handled error."""
        worker_id = self.worker_id()
        with self.db.session() as s:
            if not q.claim_task(
                s, task_id=task_id, worker_id=worker_id, lease_s=self.settings.lease_s
            ):
                log.info("task %s not claimable (taken, canceled or finished)", task_id)
                return
            task = q.get_task(s, task_id=task_id)
            tenant = task.tenant if task else None
        if self.auditor is not None:
            self.auditor.record(
                "task.started",
                actor=f"worker:{worker_id}",
                tenant=tenant,
                objects={"task_id": task_id},
                details={"attempt": task.attempts if task else None},
            )
        with _Heartbeat(self.db, task_id, worker_id, self.settings.lease_s):
            try:
                self._run_claimed(task_id, worker_id)
            except Exception as exc:
                log.exception("task %s failed unexpectedly", task_id)
                self._finish(
                    task_id,
                    worker_id,
                    PipelineOutcome(
                        status=TaskStatus.FAILED,
                        error_code="internal_error",
                        error_message=f"unexpected {type(exc).__name__} while processing",
                    ),
                    extra={},
                )

    def _run_claimed(self, task_id: str, worker_id: str) -> None:
        with self.db.session() as s:
            task = q.get_task(s, task_id=task_id)
            if task is None:
                raise RuntimeError(f"task {task_id} vanished after it was claimed")
            source_key, target_key = task.source_key, task.target_key
            options = SwapOptions.from_dict(task.options.get("swap", {}))
            consent = None
            if self.biometrics is not None:
                consent = ConsentCheck(
                    settings=self.settings,
                    db=self.db,
                    biometrics=self.biometrics,
                    tenant=task.tenant,
                    subject_id=task.source_subject_id,
                )
            output_format = task.options.get("output_format") or task.target_format
            stored_timings = dict((task.report or {}).get("timings_ms", {}))
            tenant = task.tenant
            review = (task.report or {}).get("review") or {}
            inputs_approved = (
                review.get("decision") == "approve" and review.get("stage") == "inputs"
            )
        timer = StageTimer()
        try:
            with timer.stage("load"):
                source = array_from_bytes(self.store.get(str(source_key)))
                target = array_from_bytes(self.store.get(str(target_key)))
        except (FileNotFoundError, ValueError):
            lost = PipelineOutcome(
                status=TaskStatus.FAILED,
                error_code="input_lost",
                error_message="the uploaded images of this task are gone (storage lost them); "
                "submit the task again",
            )
            self._finish(task_id, worker_id, lost, extra={})
            return
        outcome = run_pipeline(
            processor=self.processor,
            source=source,
            target=target,
            options=options,
            timer=timer,
            consent=consent,
            screen=self.screen,
            require_target_consent=self.settings.require_target_consent,
            inputs_approved=inputs_approved,
        )
        extra: dict[str, Any] = {}
        if review:
            outcome.report["review"] = review
        if outcome.image is not None:
            with timer.stage("provenance"):
                stamped = self.stamper.stamp(
                    outcome.image, content_id=task_id, fmt=output_format, tenant=tenant
                )
            data = stamped.data
            outcome.report["provenance"] = stamped.report
            timer.timings_ms.update({f"provenance_{k}": v for k, v in stamped.timings_ms.items()})
            key = new_key("results", output_format.lower().replace("jpeg", "jpg"))
            with timer.stage("store"):
                self.store.put(key, data)
            extra = {
                "result_key": key,
                "result_format": output_format,
                "result_sha256": hashlib.sha256(data).hexdigest(),
                "expires_at": q.now() + timedelta(seconds=self.settings.output_ttl_s),
                "target_subject_ids": outcome.target_subject_ids,
            }
        outcome.report.setdefault("engine", self.processor.name)
        # stage timings: decode (at submission), then the engine's own stages, then ours
        timings = dict(stored_timings)
        timings.update(outcome.report.pop("timings_ms", {}))
        timings.update(timer.timings_ms)
        outcome.report["timings_ms"] = timings
        if self.metrics:
            for stage, ms in timings.items():
                self.metrics.stage_seconds.labels(stage=stage).observe(ms / 1000.0)
        self._finish(task_id, worker_id, outcome, extra=extra)

    def _finish(
        self, task_id: str, worker_id: str, outcome: PipelineOutcome, *, extra: dict[str, Any]
    ) -> None:
        final = outcome.status in FINAL_STATUSES
        with self.db.session() as s:
            task = q.get_task(s, task_id=task_id)
            uploads = [k for k in (task.source_key, task.target_key) if k] if task else []
            if final:  # the uploads go with the final state, in the same update
                extra = {**extra, "source_key": None, "target_key": None}
            recorded = q.finish_task(
                s,
                task_id=task_id,
                worker_id=worker_id,
                status=outcome.status,
                report=outcome.report,
                error_code=outcome.error_code,
                error_message=outcome.error_message,
                **extra,
            )
        if not recorded:
            # The lease was lost (reaped) while we worked: our result must not be served.
            log.warning("task %s: lease lost before finishing; discarding this attempt", task_id)
            if extra.get("result_key"):
                self.store.delete(extra["result_key"])
            return
        if final:
            for key in uploads:
                self.store.delete(key)
        if self.auditor is not None:
            report = outcome.report or {}
            self.auditor.record(
                f"task.{outcome.status}",
                actor=f"worker:{worker_id}",
                tenant=task.tenant if task else None,
                objects={
                    "task_id": task_id,
                    "source_subject_id": task.source_subject_id if task else None,
                },
                details={
                    "error_code": outcome.error_code,
                    "consent": report.get("consent"),
                    "safety": report.get("safety"),
                    "faces_replaced": report.get("faces_replaced"),
                    "result_sha256": extra.get("result_sha256"),
                    "inputs_deleted": final,
                },
            )
        if self.on_finish is not None:
            self.on_finish(task_id)


def delete_uploads(db: Database, store: BlobStore, task_id: str) -> None:
    """Uploads live only as long as their task is not final."""
    with db.session() as s:
        task = q.get_task(s, task_id=task_id)
        if task is None:
            return
        for key in (task.source_key, task.target_key):
            if key:
                store.delete(key)
        task.source_key = None
        task.target_key = None
