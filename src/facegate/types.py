"""Plain value types shared across the package."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

__all__ = ["FINAL_STATUSES", "BBox", "Detection", "Face", "HeadPose", "TaskStatus"]


class TaskStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    PENDING_REVIEW = "pending_review"
    CANCELED = "canceled"


FINAL_STATUSES = frozenset(
    {TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.REJECTED, TaskStatus.CANCELED}
)


@dataclass(frozen=True)
class BBox:
    """An axis-aligned box in image pixels."""

    x: float
    y: float
    width: float
    height: float

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.width / 2.0, self.y + self.height / 2.0)

    def iou(self, other: BBox) -> float:
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1 = min(self.x + self.width, other.x + other.width)
        y1 = min(self.y + self.height, other.y + other.height)
        inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def to_list(self) -> list[int]:
        return [round(self.x), round(self.y), round(self.width), round(self.height)]


@dataclass(frozen=True)
class Detection:
    box: BBox
    score: float
    # BlazeFace keypoints in pixels: right eye, left eye, nose tip, mouth, right ear, left ear
    keypoints: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class HeadPose:
    """Degrees. Yaw: turning left/right; pitch: nodding; roll: tilting."""

    yaw: float
    pitch: float
    roll: float

    def to_dict(self) -> dict[str, float]:
        return {
            "yaw": round(self.yaw, 1),
            "pitch": round(self.pitch, 1),
            "roll": round(self.roll, 1),
        }


@dataclass(frozen=True, eq=False)
class Face:
    """A detected face with its dense landmarks (478 x 3, image pixels; z in pixel units)."""

    box: BBox
    score: float
    landmarks: np.ndarray
    pose: HeadPose

    @property
    def interocular(self) -> float:
        """Distance between the outer eye corners, in pixels: the face's scale."""
        return float(np.linalg.norm(self.landmarks[33, :2] - self.landmarks[263, :2]))
