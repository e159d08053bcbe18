"""Wakes request handlers in this process when a task they wait for has finished.

Only an optimisation for ``POST /process`` with the in-process worker: handlers still poll the
database (a worker in another process cannot reach this object), just less often.
"""

from __future__ import annotations

import asyncio
import threading

__all__ = ["TaskNotifier"]


class TaskNotifier:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def subscribe(self, task_id: str) -> asyncio.Event:
        event = asyncio.Event()
        with self._lock:
            self._waiters.setdefault(task_id, []).append((asyncio.get_running_loop(), event))
        return event

    def unsubscribe(self, task_id: str, event: asyncio.Event) -> None:
        with self._lock:
            waiters = [w for w in self._waiters.get(task_id, []) if w[1] is not event]
            if waiters:
                self._waiters[task_id] = waiters
            else:
                self._waiters.pop(task_id, None)

    def notify(self, task_id: str) -> None:
        """Thread-safe; called by the worker after it recorded a task's state."""
        with self._lock:
            waiters = list(self._waiters.get(task_id, []))
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)
