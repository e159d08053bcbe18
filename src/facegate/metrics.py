"""Prometheus metrics on a registry of our own (one per app, so tests stay independent)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, Histogram

__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.tasks_by_status = Gauge(
            "facegate_tasks", "Tasks in the database by status", ["status"], registry=self.registry
        )
        self.queue_length = Gauge(
            "facegate_queue_length", "Messages waiting in the task queue", registry=self.registry
        )
        self.stage_seconds = Histogram(
            "facegate_stage_seconds",
            "Latency of pipeline stages run in this process",
            ["stage"],
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
