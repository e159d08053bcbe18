"""Helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
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


def place(
    face: np.ndarray, size: tuple[int, int], at: tuple[int, int], scale: float = 1.0
) -> np.ndarray:
    """Put a portrait into a grey frame of ``size`` (w, h) at ``at`` (x, y), scaled."""
    import cv2

    w, h = size
    frame = np.full((h, w, 3), 110, np.uint8)
    if scale != 1.0:
        face = cv2.resize(face, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    fh, fw = face.shape[:2]
    x, y = at
    fw, fh = min(fw, w - x), min(fh, h - y)
    frame[y : y + fh, x : x + fw] = face[:fh, :fw]
    return frame
