"""Face templates for the consent registry: MediaPipe detection + dlib ResNet descriptors.

Loaded lazily once per process (enrolment in the API process, enforcement in workers).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import cv2
import numpy as np

from facegate.types import Detection
from facegate.vision.detector import FaceDetector, best_orientation
from facegate.vision.identity import IdentityEncoder, template_distance

__all__ = ["Biometrics", "FaceSample"]


@dataclass(frozen=True, eq=False)
class FaceSample:
    detection: Detection
    template: np.ndarray  # (128,) float32
    sharpness: float  # variance of the Laplacian on a 150 px face crop


class Biometrics:
    def __init__(self) -> None:
        self.detector = FaceDetector(min_confidence=0.5)
        self.encoder = IdentityEncoder()
        self._ready = False
        self._lock = threading.Lock()

    def setup(self) -> None:
        with self._lock:
            if not self._ready:
                self.detector.setup()
                self.encoder.setup()
                self._ready = True

    def detect(self, image: np.ndarray) -> list[Detection]:
        self.setup()
        return self.detector(image)

    def detect_any_orientation(self, image: np.ndarray) -> tuple[np.ndarray, list[Detection]]:
        """Faces upright, else in the image turned by 90/180/270 degrees (the same fallback
        as the engine). Returns the image as turned, to take samples from."""
        self.setup()
        _, turned, found = best_orientation(self.detector, image)
        return turned, found

    def sample(self, image: np.ndarray, detection: Detection) -> FaceSample:
        self.setup()
        template = self.encoder(image, detection.box)
        x, y, w, h = detection.box.to_list()
        crop = image[max(0, y) : y + h, max(0, x) : x + w]
        grey = cv2.cvtColor(cv2.resize(crop, (150, 150)), cv2.COLOR_RGB2GRAY)
        sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
        return FaceSample(detection=detection, template=template, sharpness=sharpness)

    @staticmethod
    def best_distance(template: np.ndarray, templates: list[np.ndarray]) -> float:
        return min((template_distance(template, t) for t in templates), default=float("inf"))
