"""NSFW detection behind one interface.

- ``NudeNetDetector``: NudeNet 3.4.2's bundled 320n ONNX detector (YOLOv8n, 18 classes),
  run on our own onnxruntime session (CUDA when available, else CPU). NudeNet is AGPL-3.0.
- ``OnnxClassifier``: a user-supplied ONNX classifier from the configured model folder,
  checked against its configured SHA-256, with a label for each output index.

Both return ``NsfwDetection``s (label, score); the policy in :mod:`facegate.safety` decides.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

__all__ = ["NsfwDetection", "NsfwDetector", "NudeNetDetector", "OnnxClassifier", "providers"]


@dataclass(frozen=True)
class NsfwDetection:
    label: str
    score: float


class NsfwDetector(Protocol):
    name: str

    def setup(self) -> None: ...

    def __call__(self, image: np.ndarray) -> list[NsfwDetection]: ...


def providers() -> list[str]:
    import onnxruntime

    available = onnxruntime.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


_sessions: dict[str, object] = {}
_sessions_lock = threading.Lock()


def _session(path: Path):  # type: ignore[no-untyped-def]
    """One onnxruntime session per model file and process (sessions are thread-safe to run)."""
    import onnxruntime

    key = str(path.resolve())
    with _sessions_lock:
        if key not in _sessions:
            _sessions[key] = onnxruntime.InferenceSession(key, providers=providers())
        return _sessions[key]


class NudeNetDetector:
    name = "nudenet-320n"

    def __init__(self) -> None:
        self._session = None

    def setup(self) -> None:
        import nudenet.nudenet as nn

        self._session = _session(Path(nn.__file__).parent / "320n.onnx")

    def __call__(self, image: np.ndarray) -> list[NsfwDetection]:
        return self.batch([image])[0]

    def batch(self, images: list[np.ndarray]) -> list[list[NsfwDetection]]:
        """Several images; one inference call per image (the detector's post-processing is
        per image), see bench/safety_speed.py for the batched variant."""
        from nudenet import nudenet as nn

        if self._session is None:
            raise RuntimeError("NudeNetDetector.setup() was not called")
        results = []
        for image in images:
            bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
            blob, x_ratio, y_ratio, x_pad, y_pad, w, h = nn._read_image(bgr, 320)
            outputs = self._session.run(None, {self._session.get_inputs()[0].name: blob})
            found = nn._postprocess(outputs, x_pad, y_pad, x_ratio, y_ratio, w, h, 320, 320)
            results.append([NsfwDetection(d["class"], float(d["score"])) for d in found])
        return results


class OnnxClassifier:
    """A user-supplied classifier: input (1, 3, S, S) RGB in [0, 1], output (1, C) scores."""

    name = "onnx-classifier"

    def __init__(self, path: Path, sha256: str, labels: list[str], size: int = 224) -> None:
        self.path = Path(path)
        self.sha256 = sha256.lower()
        self.labels = labels
        self.size = size
        self._session = None

    def setup(self) -> None:
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        if digest != self.sha256:
            raise RuntimeError(
                f"{self.path.name}: sha256 {digest} does not match the configured {self.sha256}"
            )
        session = _session(self.path)
        outputs = session.get_outputs()[0].shape
        if isinstance(outputs[-1], int) and outputs[-1] != len(self.labels):
            raise RuntimeError(
                f"{self.path.name} has {outputs[-1]} outputs but {len(self.labels)} labels are "
                "configured"
            )
        self._session = session

    def __call__(self, image: np.ndarray) -> list[NsfwDetection]:
        if self._session is None:
            raise RuntimeError("OnnxClassifier.setup() was not called")
        resized = cv2.resize(image, (self.size, self.size), interpolation=cv2.INTER_AREA)
        blob = resized.astype(np.float32).transpose(2, 0, 1)[None] / 255.0
        scores = self._session.run(None, {self._session.get_inputs()[0].name: blob})[0]
        flat = np.asarray(scores, dtype=np.float64).reshape(-1)
        return [
            NsfwDetection(label, float(score))
            for label, score in zip(self.labels, flat, strict=True)
        ]
