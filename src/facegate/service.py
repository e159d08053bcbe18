"""Builds the long-lived parts of a FaceGate process from the settings, in one place."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from huey.consumer import Consumer

from facegate.audit import Auditor
from facegate.biometrics import Biometrics
from facegate.db import Database, make_database
from facegate.db import queries as q
from facegate.maintenance import MaintenanceReport, run_maintenance
from facegate.metrics import Metrics
from facegate.notify import TaskNotifier
from facegate.queue import TaskQueue
from facegate.registry import expire_consents
from facegate.screening import ContentScreen, make_screen
from facegate.settings import Settings
from facegate.storage import LocalBlobStore
from facegate.swap.registry import make_processor
from facegate.types import FINAL_STATUSES
from facegate.webhooks import deliver
from facegate.worker import Worker

__all__ = ["Services", "build_services"]

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    store: LocalBlobStore
    queue: TaskQueue
    metrics: Metrics
    notifier: TaskNotifier = field(default_factory=TaskNotifier)
    biometrics: Biometrics = field(default_factory=Biometrics)  # loaded on first use
    screen: ContentScreen | None = None
    auditor: Auditor | None = None
    worker: Worker | None = None
    consumer: Consumer | None = None
    _setup_thread: threading.Thread | None = field(default=None, repr=False)

    def attach_worker(self) -> Worker:
        """Make this process able to run tasks (models are set up by ``start_consumer``)."""
        if self.worker is None:
            self.worker = Worker(
                settings=self.settings,
                db=self.db,
                store=self.store,
                processor=make_processor(self.settings),
                metrics=self.metrics,
                on_finish=self.task_finished,
                biometrics=self.biometrics,
                screen=self.screen,
                auditor=self.auditor,
            )
            self.queue.bind(self.worker.execute, self.maintain)
            self.queue.bind_webhooks(self.deliver_webhook)
        return self.worker

    def task_finished(self, task_id: str) -> None:
        """Wake local waiters; queue the webhook of a task that reached a final state."""
        self.notifier.notify(task_id)
        with self.db.session() as s:
            task = q.get_task(s, task_id=task_id)
            wanted = (
                task is not None
                and task.status in FINAL_STATUSES
                and bool(task.options.get("callback_url"))
            )
        if wanted:
            self.queue.enqueue_webhook(task_id, 1, time.time())

    def deliver_webhook(self, task_id: str, attempt: int, first_at: float) -> None:
        delay = deliver(
            settings=self.settings, db=self.db, task_id=task_id, attempt=attempt, first_at=first_at
        )
        if delay is not None:
            self.queue.enqueue_webhook(task_id, attempt + 1, first_at, delay=delay)
        if self.auditor is not None:
            self.auditor.record(
                "webhook.attempt",
                objects={"task_id": task_id},
                details={"attempt": attempt, "retry_in_s": delay},
            )

    def safety_settings(self) -> dict[str, Any]:
        s = self.settings
        return {
            "engine": s.engine,
            "consent_enforcement": s.consent_enforcement,
            "consent_match_threshold": s.consent_match_threshold,
            "require_target_consent": s.require_target_consent,
            "nsfw_detector": s.nsfw_detector,
            "nsfw_thresholds": dict(sorted(s.nsfw_thresholds.items())),
            "nsfw_review_band": s.nsfw_review_band,
            "review_enabled": s.review_enabled,
            "label_off_tenants": sorted(s.label_off_tenants),
        }

    def record_startup(self, role: str) -> None:
        if self.auditor is not None:
            self.auditor.record_startup(role, self.safety_settings())

    def maintain(self) -> MaintenanceReport:
        report = run_maintenance(
            settings=self.settings, db=self.db, store=self.store, enqueue=self.queue.enqueue
        )
        expired = expire_consents(db=self.db, store=self.store)
        report.consents_expired = [view["subject_id"] for view in expired]
        for view in expired:
            for canceled in (view.get("tombstone") or {}).get("canceled_tasks", []):
                self.task_finished(canceled)
        if self.auditor is not None:
            for sid in report.consents_expired:
                self.auditor.record("subject.expired", objects={"subject_id": sid})
            for tid in report.requeued:
                self.auditor.record(
                    "task.requeued", objects={"task_id": tid}, details={"reason": "lease expired"}
                )
            for tid in report.failed:
                self.auditor.record(
                    "task.failed", objects={"task_id": tid}, details={"error_code": "worker_lost"}
                )
            if any(report.to_dict().values()):
                self.auditor.record("cleanup.run", details=report.to_dict())
            self.auditor.maybe_checkpoint(self.settings)
        if any(report.to_dict().values()):
            log.info("maintenance: %s", report.to_dict())
        return report

    def start_consumer(self, *, in_process: bool, background_setup: bool) -> Consumer:
        """Set up the models (in the background for the API so /health answers at once), then
        start consuming."""
        worker = self.attach_worker()
        consumer = self.queue.make_consumer(self.settings.worker_threads, in_process=in_process)
        self.consumer = consumer

        def setup_and_start() -> None:
            try:
                worker.setup()
            except Exception:
                return  # /ready reports setup_failed with the reason
            self.maintain()
            consumer.start()

        if background_setup:
            self._setup_thread = threading.Thread(target=setup_and_start, name="engine-setup")
            self._setup_thread.start()
        else:
            setup_and_start()
        return consumer

    def stop(self) -> None:
        if self._setup_thread is not None:
            self._setup_thread.join(timeout=60)
        if (
            self.consumer is not None
            and self.worker is not None
            and self.consumer.scheduler.is_alive()
        ):
            self.consumer.stop(graceful=True)
        self.db.engine.dispose()


def build_services(settings: Settings) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = make_database(str(settings.database_url))
    return Services(
        settings=settings,
        db=db,
        store=LocalBlobStore(settings.blob_dir),
        queue=TaskQueue(settings),
        metrics=Metrics(),
        screen=make_screen(settings),
        auditor=Auditor(db, settings.key_dir, mirror=settings.audit_mirror),
    )
