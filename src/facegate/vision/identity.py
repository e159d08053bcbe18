"""Identity templates: dlib's ResNet face descriptor (128-D, Euclidean distance; < 0.6 is the
same person in dlib's LFW evaluation).

Only the 5-point alignment model and the ResNet model from ``face-recognition-models`` are
loaded. The package's 68-point model (iBUG 300-W) is not licensed for commercial use and is
never touched. The package's own ``__init__`` imports ``pkg_resources`` (gone from current
setuptools), so its files are located without importing it.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

from facegate.types import BBox

__all__ = ["IdentityEncoder", "model_dir", "template_distance"]

SHAPE_MODEL = "shape_predictor_5_face_landmarks.dat"
RESNET_MODEL = "dlib_face_recognition_resnet_model_v1.dat"


def model_dir() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face-recognition-models is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def template_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64)))


class IdentityEncoder:
    """Setup once; then ``encoder(image, box) -> (128,) float32``. Calls are serialised."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shape = None
        self._resnet = None

    def setup(self) -> None:
        import dlib

        folder = model_dir()
        self._shape = dlib.shape_predictor(str(folder / SHAPE_MODEL))
        self._resnet = dlib.face_recognition_model_v1(str(folder / RESNET_MODEL))

    @staticmethod
    def _rect(image: np.ndarray, box: BBox):  # type: ignore[no-untyped-def]
        import dlib

        h, w = image.shape[:2]
        return dlib.rectangle(
            max(0, int(box.x)),
            max(0, int(box.y)),
            min(w - 1, int(box.x + box.width)),
            min(h - 1, int(box.y + box.height)),
        )

    def five_points(self, image: np.ndarray, box: BBox) -> np.ndarray:
        """dlib's 5 points (eye corners 0-3, nose base 4) as a (5, 2) array."""
        if self._shape is None:
            raise RuntimeError("IdentityEncoder.setup() was not called")
        with self._lock:
            shape = self._shape(np.ascontiguousarray(image), self._rect(image, box))
        return np.array([(shape.part(i).x, shape.part(i).y) for i in range(5)], np.float64)

    def __call__(self, image: np.ndarray, box: BBox) -> np.ndarray:
        if self._shape is None or self._resnet is None:
            raise RuntimeError("IdentityEncoder.setup() was not called")
        rect = self._rect(image, box)
        with self._lock:
            shape = self._shape(np.ascontiguousarray(image), rect)
            descriptor = self._resnet.compute_face_descriptor(np.ascontiguousarray(image), shape)
        return np.asarray(descriptor, dtype=np.float32)
