"""A TEST-ONLY processor: it returns the target unchanged and swaps nothing.

It exists so that the API, queue and crash tests can run without loading face models, and so
that ``bench/api_overhead.py`` measures the service rather than the engine. It is selected only
by ``FACEGATE_ENGINE=test-only``, says so in every task report, and makes ``/ready`` report it.
"""

from __future__ import annotations

import time

import numpy as np

from facegate.swap.base import ProcessResult, SwapOptions

__all__ = ["TestOnlyProcessor"]


class TestOnlyProcessor:
    name = "test-only"

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s

    def setup(self) -> None:
        return None

    def process(
        self, source: np.ndarray, target: np.ndarray, options: SwapOptions
    ) -> ProcessResult:
        if self.delay_s:
            time.sleep(self.delay_s)
        return ProcessResult(
            image=target.copy(),
            report={"engine": self.name, "warning": "test-only processor: no face was swapped"},
        )
