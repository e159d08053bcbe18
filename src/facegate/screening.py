"""The content-safety stage: run the configured NSFW detector over images, apply the policy.

If the detector cannot be loaded the service does not fail open: tasks fail with
``nsfw_detector_unavailable`` and submissions answer 503 with that code.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from facegate.safety import SafetyDecision, SafetyPolicy
from facegate.settings import Settings
from facegate.vision.nsfw import NsfwDetector, NudeNetDetector, OnnxClassifier

__all__ = ["ContentScreen", "make_screen"]

log = logging.getLogger(__name__)

NSFW_OFF = {"nsfw": "off", "why": "FACEGATE_NSFW_DETECTOR=off"}


class ContentScreen:
    def __init__(self, detector: NsfwDetector, policy: SafetyPolicy) -> None:
        self.detector = detector
        self.policy = policy
        self.error: str | None = None
        self._ready = False
        self._lock = threading.Lock()

    def setup(self) -> bool:
        """Load the detector once; False (with ``error`` set) when it cannot be loaded."""
        with self._lock:
            if not self._ready and self.error is None:
                try:
                    self.detector.setup()
                    self._ready = True
                except Exception as exc:
                    self.error = f"{type(exc).__name__}: {exc}"
                    log.error("NSFW detector %s unavailable: %s", self.detector.name, self.error)
            return self._ready

    def screen(self, images: dict[str, np.ndarray]) -> SafetyDecision:
        """Every image through the detector; the strictest verdict wins."""
        if not self.setup():
            raise RuntimeError(f"NSFW detector unavailable: {self.error}")
        decisions = [
            self.policy.decide(self.detector(image), image=name) for name, image in images.items()
        ]
        return SafetyPolicy.combine(*decisions)


def make_screen(settings: Settings) -> ContentScreen | None:
    """None when the check is off (a loud warning each time a process starts)."""
    if settings.nsfw_detector == "off":
        log.warning(
            "CONTENT SAFETY IS OFF (FACEGATE_NSFW_DETECTOR=off): NSFW inputs and outputs "
            "are not checked; every task records this"
        )
        return None
    policy = SafetyPolicy(
        thresholds=settings.nsfw_thresholds,
        review_band=settings.nsfw_review_band,
        review_enabled=settings.review_enabled,
    )
    detector: NsfwDetector
    if settings.nsfw_detector == "onnx":
        folder = Path(settings.nsfw_model_dir or settings.data_dir / "models")
        detector = OnnxClassifier(
            folder / (settings.nsfw_onnx_file or "missing.onnx"),
            sha256=settings.nsfw_onnx_sha256 or "",
            labels=list(settings.nsfw_onnx_labels),
            size=settings.nsfw_onnx_size,
        )
    else:
        detector = NudeNetDetector()
    return ContentScreen(detector, policy)
