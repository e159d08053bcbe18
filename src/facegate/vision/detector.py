"""Face detection with MediaPipe's bundled BlazeFace (full-range) model.

BlazeFace sees the image at 192x192, so a small face in a large frame vanishes. Large frames are
therefore also searched in overlapping square tiles, and the detections merged by non-maximum
suppression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facegate.types import BBox, Detection
from facegate.vision import PerThread

__all__ = ["FaceDetector", "best_orientation", "non_max_suppression", "tile_grid"]


def tile_grid(
    width: int, height: int, tile: int, overlap: float = 0.25
) -> list[tuple[int, int, int]]:
    """Square tiles (x, y, size) covering the image with the given overlap."""
    size = min(tile, width, height)
    stride = max(1, int(size * (1.0 - overlap)))

    def starts(total: int) -> list[int]:
        positions = list(range(0, max(total - size, 0) + 1, stride))
        if positions[-1] + size < total:
            positions.append(total - size)
        return positions

    return [(x, y, size) for y in starts(height) for x in starts(width)]


def non_max_suppression(detections: list[Detection], iou_threshold: float = 0.3) -> list[Detection]:
    kept: list[Detection] = []
    for det in sorted(detections, key=lambda d: d.score, reverse=True):
        if all(det.box.iou(k.box) < iou_threshold for k in kept):
            kept.append(det)
    return kept


@dataclass
class FaceDetector:
    """Setup once, then call with an RGB array. Thread-safe (one MediaPipe graph per thread)."""

    min_confidence: float = 0.6
    tile_size: int = 640
    tile_above: int = 1024  # frames whose longer side exceeds this are also searched in tiles

    def __post_init__(self) -> None:
        self._graphs = PerThread(self._build)

    def _build(self):  # type: ignore[no-untyped-def]
        from mediapipe.python.solutions import face_detection

        return face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=self.min_confidence
        )

    def setup(self) -> None:
        self._graph()

    def _graph(self):  # type: ignore[no-untyped-def]
        return self._graphs.get()

    def _detect_once(self, image: np.ndarray, dx: int = 0, dy: int = 0) -> list[Detection]:
        h, w = image.shape[:2]
        result = self._graph().process(np.ascontiguousarray(image))
        found = []
        for det in result.detections or []:
            rel = det.location_data.relative_bounding_box
            box = BBox(dx + rel.xmin * w, dy + rel.ymin * h, rel.width * w, rel.height * h)
            points = tuple(
                (dx + k.x * w, dy + k.y * h) for k in det.location_data.relative_keypoints
            )
            if box.width > 4 and box.height > 4:
                found.append(Detection(box=box, score=float(det.score[0]), keypoints=points))
        return found

    def __call__(self, image: np.ndarray) -> list[Detection]:
        h, w = image.shape[:2]
        found = self._detect_once(image)
        if max(h, w) > self.tile_above:
            for x, y, size in tile_grid(w, h, self.tile_size):
                tile_hits = self._detect_once(image[y : y + size, x : x + size], x, y)
                # a face cut by the tile's edge is found whole by a neighbouring tile
                found.extend(d for d in tile_hits if _inside(d.box, x, y, size))
        return non_max_suppression(found)


def _inside(box: BBox, x: int, y: int, size: int, margin: float = 2.0) -> bool:
    return (
        box.x > x + margin
        and box.y > y + margin
        and box.x + box.width < x + size - margin
        and box.y + box.height < y + size - margin
    )


CONFIDENT = 0.8  # upright faces score 0.85-0.95 here; sideways/inverted false hits 0.6-0.77


def best_orientation(
    detector: FaceDetector, image: np.ndarray
) -> tuple[int, np.ndarray, list[Detection]]:
    """(quarter turns, turned image, detections) for the orientation in which faces are found
    most confidently. BlazeFace is not rotation invariant and also fires, weakly, on sideways
    or upside-down faces; so when the upright pass is not confident, all four quarter turns
    are searched and the best-scoring one wins."""
    found = detector(image)
    if found and max(d.score for d in found) >= CONFIDENT:
        return 0, image, found
    best = (0, image, found)
    for quarter in (1, 2, 3):
        turned = np.ascontiguousarray(np.rot90(image, quarter))
        hits = detector(turned)
        if hits and (not best[2] or max(d.score for d in hits) > max(d.score for d in best[2])):
            best = (quarter, turned, hits)
    return best
