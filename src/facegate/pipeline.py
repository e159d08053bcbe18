"""The decision flow of one task: consent -> safety -> swap -> safety -> provenance.

Pure with respect to I/O: it takes decoded arrays and returns an outcome; the worker loads and
stores. Each stage's time lands in ``report["timings_ms"]``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facegate.errors import FaceGateError
from facegate.swap.base import Processor, SwapOptions
from facegate.types import TaskStatus

__all__ = ["PipelineOutcome", "StageTimer", "run_pipeline"]


class StageTimer:
    def __init__(self) -> None:
        self.timings_ms: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = (time.perf_counter() - start) * 1000.0
            self.timings_ms[name] = round(self.timings_ms.get(name, 0.0) + elapsed, 2)


@dataclass
class PipelineOutcome:
    status: TaskStatus
    image: np.ndarray | None = None
    report: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None


def run_pipeline(
    *,
    processor: Processor,
    source: np.ndarray,
    target: np.ndarray,
    options: SwapOptions,
    timer: StageTimer,
) -> PipelineOutcome:
    """Run the engine. Engine refusals (no_face, ...) become a failed outcome with their code."""
    try:
        with timer.stage("engine"):
            result = processor.process(source, target, options)
    except FaceGateError as exc:
        return PipelineOutcome(
            status=TaskStatus.FAILED,
            report={"details": exc.details} if exc.details is not None else {},
            error_code=exc.code,
            error_message=exc.message,
        )
    return PipelineOutcome(status=TaskStatus.SUCCEEDED, image=result.image, report=result.report)
