"""The task queue on Huey: ``SqliteHuey`` by default, ``RedisHuey`` for ``redis://`` URLs.

The API only enqueues task ids. A process that consumes (``serve`` with its in-process worker,
or ``facegate worker``) binds a runner to the one Huey task; the rest of the code never knows
which backend is underneath.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.consumer import Consumer, Worker

from facegate.settings import Settings

__all__ = ["TaskQueue", "make_huey"]

log = logging.getLogger(__name__)


def make_huey(settings: Settings) -> Huey:
    url = str(settings.queue_url)
    if url.startswith("redis://") or url.startswith("rediss://"):
        return RedisHuey("facegate", url=url)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("facegate", filename=str(path), fsync=False)
    raise ValueError(f"unsupported FACEGATE_QUEUE_URL {url!r}: use sqlite:///path or redis://")


class TaskQueue:
    def __init__(self, settings: Settings) -> None:
        self.huey = make_huey(settings)
        self.wakeup = (
            threading.Event()
        )  # set on enqueue: an idle in-process consumer starts at once
        self._runner: Callable[[str], None] | None = None
        self._maintenance: Callable[[], None] | None = None

        @self.huey.task(name="facegate.process_task")
        def process_task(task_id: str) -> None:
            if self._runner is None:
                raise RuntimeError("this process has no task runner bound")
            self._runner(task_id)

        @self.huey.periodic_task(crontab(minute="*"), name="facegate.maintenance")
        def maintenance() -> None:
            if self._maintenance is not None:
                self._maintenance()

        @self.huey.task(name="facegate.deliver_webhook")
        def deliver_webhook(task_id: str, attempt: int, first_at: float) -> None:
            if self._deliverer is None:
                raise RuntimeError("this process has no webhook deliverer bound")
            self._deliverer(task_id, attempt, first_at)

        self._process_task = process_task
        self._deliver_webhook = deliver_webhook
        self._deliverer: Callable[[str, int, float], None] | None = None

    def bind(self, runner: Callable[[str], None], maintenance: Callable[[], None]) -> None:
        self._runner = runner
        self._maintenance = maintenance

    def bind_webhooks(self, deliverer: Callable[[str, int, float], None]) -> None:
        self._deliverer = deliverer

    def enqueue_webhook(
        self, task_id: str, attempt: int, first_at: float, delay: float = 0.0
    ) -> None:
        if delay > 0:
            self._deliver_webhook.schedule((task_id, attempt, first_at), delay=delay)
        else:
            self._deliver_webhook(task_id, attempt, first_at)
        self.wakeup.set()

    def enqueue(self, task_id: str) -> None:
        self._process_task(task_id)
        self.wakeup.set()

    def pending_count(self) -> int:
        return int(self.huey.pending_count())

    def ping(self) -> None:
        self.huey.pending_count()

    def make_consumer(self, workers: int, *, in_process: bool = False) -> Consumer:
        # Poll an idle SQLite queue every 5-50 ms: the default backs off to 10 s, which would add
        # seconds of latency to the first task after a pause. Redis blocks instead of polling.
        if in_process:
            wakeup = self.wakeup

            class _Worker(_WakeableWorker):
                event = wakeup

            consumer_cls = type("_Consumer", (_InProcessConsumer,), {"worker_class": _Worker})
        else:
            consumer_cls = Consumer
        return consumer_cls(
            self.huey,
            workers=workers,
            worker_type="thread",
            initial_delay=0.005,
            backoff=1.15,
            max_delay=0.05,
            periodic=True,
            check_worker_health=True,
        )


class _WakeableWorker(Worker):
    """Sleeps on an event that ``enqueue`` sets, instead of a blind poll interval."""

    event: threading.Event

    def sleep(self) -> None:
        if self.delay > self.max_delay:
            self.delay = self.max_delay
        if self.event.wait(self.delay):
            self.event.clear()
            self.delay = self.default_delay
        else:
            self.delay *= self.backoff


class _InProcessConsumer(Consumer):
    """A consumer living inside the API process: the server owns the signal handlers."""

    def _set_signal_handlers(self) -> None:
        return None
