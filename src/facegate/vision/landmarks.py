"""Dense landmarks (478 points with irises) from MediaPipe's bundled FaceMesh model, run on a
crop around each detected face so that the cost does not grow with the image size."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from facegate.types import BBox, Face, HeadPose
from facegate.vision import PerThread

__all__ = ["FaceMesher", "estimate_pose"]

# indices into the 478-point mesh
_LEFT_CHEEK, _RIGHT_CHEEK = 234, 454
_FOREHEAD, _CHIN = 10, 152
_EYE_OUTER_L, _EYE_OUTER_R = 33, 263


def estimate_pose(landmarks: np.ndarray) -> HeadPose:
    """Yaw and pitch from the mesh's relative depth across the face, roll from the eye line."""
    left, right = landmarks[_LEFT_CHEEK], landmarks[_RIGHT_CHEEK]
    top, bottom = landmarks[_FOREHEAD], landmarks[_CHIN]
    eye_l, eye_r = landmarks[_EYE_OUTER_L], landmarks[_EYE_OUTER_R]
    across = right - left
    down = bottom - top
    yaw = math.degrees(math.atan2(float(across[2]), float(np.hypot(across[0], across[1]))))
    pitch = math.degrees(math.atan2(float(-down[2]), float(np.hypot(down[0], down[1]))))
    roll = math.degrees(math.atan2(float(eye_r[1] - eye_l[1]), float(eye_r[0] - eye_l[0])))
    return HeadPose(yaw=yaw, pitch=pitch, roll=roll)


def crop_square(box: BBox, width: int, height: int, scale: float) -> tuple[int, int, int, int]:
    """A square around the box, ``scale`` times its larger side, clipped to the image."""
    cx, cy = box.center
    half = max(box.width, box.height) * scale / 2.0
    x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
    x1, y1 = min(width, int(cx + half)), min(height, int(cy + half))
    return x0, y0, x1, y1


@dataclass
class FaceMesher:
    crop_scale: float = 1.8

    def __post_init__(self) -> None:
        self._graphs = PerThread(self._build)

    @staticmethod
    def _build():  # type: ignore[no-untyped-def]
        from mediapipe.python.solutions import face_mesh

        return face_mesh.FaceMesh(
            static_image_mode=True,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=0.5,
        )

    def setup(self) -> None:
        self._graph()

    def _graph(self):  # type: ignore[no-untyped-def]
        return self._graphs.get()

    def __call__(self, image: np.ndarray, box: BBox, score: float = 1.0) -> Face | None:
        """Landmarks of the face in ``box``, in image pixels; None when the mesh finds none."""
        h, w = image.shape[:2]
        x0, y0, x1, y1 = crop_square(box, w, h, self.crop_scale)
        crop = np.ascontiguousarray(image[y0:y1, x0:x1])
        if crop.shape[0] < 16 or crop.shape[1] < 16:
            return None
        result = self._graph().process(crop)
        if not result.multi_face_landmarks:
            return None
        ch, cw = crop.shape[:2]
        points = np.array(
            [
                (p.x * cw + x0, p.y * ch + y0, p.z * cw)
                for p in result.multi_face_landmarks[0].landmark
            ],
            dtype=np.float32,
        )
        # the mesh must describe the face we asked about, not a neighbour inside the crop
        mesh_box = BBox(
            float(points[:, 0].min()),
            float(points[:, 1].min()),
            float(np.ptp(points[:, 0])),
            float(np.ptp(points[:, 1])),
        )
        if mesh_box.iou(box) < 0.2:
            return None
        return Face(box=box, score=score, landmarks=points, pose=estimate_pose(points))
