"""Helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
FACES = ROOT / "tests" / "fixtures" / "faces"
OUT = ROOT / "bench" / "out"
FIXTURES = ["astronaut.png", "biden.jpg", "obama.jpg"]


def load(name: str) -> np.ndarray:
    with Image.open(FACES / name) as im:
        return np.asarray(im.convert("RGB"))


def median_ms(fn: Callable[[], object], runs: int = 10, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(samples)


from helpers import place  # noqa: E402 - one helper for tests and benchmarks

__all__ = ["FACES", "FIXTURES", "OUT", "ROOT", "load", "median_ms", "place"]
