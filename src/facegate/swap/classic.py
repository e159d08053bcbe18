"""The classic engine: a licence-clean face swap on MediaPipe's dense mesh.

Per selected target face: align the source mesh to the target (similarity), place it between
the target's shape and the source's (``shape``), warp the source over the mesh triangles,
correct colour and shading to the target, and blend with a multi-band (Laplacian) blend, all on
a crop around the face so that the cost does not depend on the image size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from facegate.errors import ProcessingError
from facegate.swap.base import FaceSelection, ProcessResult, SwapOptions
from facegate.swap.blend import alpha_blend, laplacian_blend
from facegate.swap.color import match_color
from facegate.swap.masks import face_mask
from facegate.swap.mesh import mesh_triangles
from facegate.swap.warp import apply_transform, piecewise_affine_maps, similarity_transform
from facegate.types import BBox, Face
from facegate.vision.detector import FaceDetector, best_orientation
from facegate.vision.landmarks import FaceMesher, estimate_pose

__all__ = ["ClassicSwapEngine", "swap_face"]

MESH_POINTS = 468  # the iris points (468-477) are not part of the triangulated mesh


@dataclass
class _Timings:
    ms: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, start: float) -> None:
        self.ms[name] = round(self.ms.get(name, 0.0) + (time.perf_counter() - start) * 1000, 2)


def swap_face(
    source: np.ndarray,
    source_face: Face,
    target: np.ndarray,
    target_face: Face,
    *,
    shape: float = 0.5,
    keep_mouth: bool = True,
    keep_eyes: bool = False,
    blend: str = "laplacian",
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Swap one face. Returns the new crop and its (x0, y0, x1, y1) position in the target."""
    triangles = mesh_triangles()
    src = source_face.landmarks[:MESH_POINTS, :2].astype(np.float64)
    tgt = target_face.landmarks[:MESH_POINTS, :2].astype(np.float64)
    aligned = apply_transform(similarity_transform(src, tgt), src)
    dst = (1.0 - shape) * tgt + shape * aligned

    th, tw = target.shape[:2]
    both = np.vstack([dst, tgt])
    lo, hi = both.min(0), both.max(0)
    pad = 0.15 * float(max(hi - lo))
    x0, y0 = max(0, int(lo[0] - pad)), max(0, int(lo[1] - pad))
    x1, y1 = min(tw, int(np.ceil(hi[0] + pad))), min(th, int(np.ceil(hi[1] + pad)))
    offset = np.array([x0, y0], dtype=np.float64)
    crop = target[y0:y1, x0:x1]
    ch, cw = crop.shape[:2]

    map_x, map_y, covered = piecewise_affine_maps(src, dst - offset, triangles, (ch, cw))
    sh, sw = source.shape[:2]
    valid = (covered > 0) & (map_x >= 0) & (map_y >= 0) & (map_x <= sw - 1) & (map_y <= sh - 1)
    warped = cv2.remap(source, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    face_size = float(np.linalg.norm(tgt[33] - tgt[263])) * 2.0
    alpha = face_mask(
        dst - offset,
        tgt - offset,
        (ch, cw),
        keep_mouth=keep_mouth,
        keep_eyes=keep_eyes,
        face_size=face_size,
    )
    alpha *= valid
    region = alpha > 0.5
    warped = match_color(warped, crop, region)
    warped = np.where(valid[:, :, None], warped, crop)
    if blend == "alpha":
        out = alpha_blend(warped, crop, alpha)
    else:
        out = laplacian_blend(warped, crop, alpha)
    return out, (x0, y0, x1, y1)


def _unturn(points: np.ndarray, quarter: int, width: int, height: int) -> np.ndarray:
    """(x, y) found in ``np.rot90(image, quarter)`` -> (x, y) in the image."""
    x, y = points[:, 0].copy(), points[:, 1].copy()
    out = points.copy()
    if quarter == 1:
        out[:, 0], out[:, 1] = width - 1 - y, x
    elif quarter == 2:
        out[:, 0], out[:, 1] = width - 1 - x, height - 1 - y
    else:
        out[:, 0], out[:, 1] = y, height - 1 - x
    return out


def _turn_back(face: Face, quarter: int, width: int, height: int) -> Face:
    """Map a face found in ``np.rot90(image, quarter)`` back to the image's coordinates."""
    pts = _unturn(face.landmarks, quarter, width, height)
    b = face.box
    corners = _unturn(
        np.array([[b.x, b.y], [b.x + b.width, b.y + b.height]]), quarter, width, height
    )
    lo, hi = corners.min(0), corners.max(0)
    box = BBox(float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1]))
    return Face(box=box, score=face.score, landmarks=pts, pose=estimate_pose(pts))


class ClassicSwapEngine:
    name = "classic"

    def __init__(
        self,
        *,
        min_face_px: int = 64,
        max_yaw: float = 50.0,
        max_pitch: float = 40.0,
        max_outside: float = 0.02,
        blend: str = "laplacian",
    ) -> None:
        self.detector = FaceDetector()
        self.mesher = FaceMesher()
        self.min_face_px = min_face_px
        self.max_yaw = max_yaw
        self.max_pitch = max_pitch
        self.max_outside = max_outside
        self.blend = blend

    def setup(self) -> None:
        self.detector.setup()
        self.mesher.setup()
        mesh_triangles()

    # --- analysis -------------------------------------------------------------------------

    def find_faces(self, image: np.ndarray, timings: _Timings | None = None) -> list[Face]:
        """Detected faces with landmarks, left to right. When nothing is found upright, the
        image is searched turned by 90, 180 and 270 degrees (BlazeFace is not rotation
        invariant; the rest of the engine is) and the landmarks are mapped back."""
        start = time.perf_counter()
        quarter, turned, detections = best_orientation(self.detector, image)
        if timings:
            timings.add("detect", start)
        faces = self._mesh(turned, detections, timings)
        if quarter:
            faces = [_turn_back(f, quarter, image.shape[1], image.shape[0]) for f in faces]
        return sorted(faces, key=lambda f: f.box.center[0])

    def _mesh(self, image: np.ndarray, detections: list, timings: _Timings | None) -> list[Face]:
        faces = []
        start = time.perf_counter()
        for det in detections:
            face = self.mesher(image, det.box, det.score)
            if face is not None:
                faces.append(face)
        if timings:
            timings.add("landmarks", start)
        return faces

    def problem(self, face: Face, image: np.ndarray) -> tuple[str, str, dict[str, Any]] | None:
        """Why this face cannot be swapped well, or None."""
        size = min(face.box.width, face.box.height)
        if size < self.min_face_px:
            return (
                "face_too_small",
                f"the face is {size:.0f} px; at least {self.min_face_px} px is needed",
                {"face_px": round(size), "min_face_px": self.min_face_px},
            )
        if abs(face.pose.yaw) > self.max_yaw or abs(face.pose.pitch) > self.max_pitch:
            return (
                "pose_out_of_range",
                f"the head is turned too far (yaw {face.pose.yaw:.0f}, pitch "
                f"{face.pose.pitch:.0f}; limits +/-{self.max_yaw:.0f}, "
                f"+/-{self.max_pitch:.0f} degrees)",
                {"pose": face.pose.to_dict(), "max_yaw": self.max_yaw, "max_pitch": self.max_pitch},
            )
        h, w = image.shape[:2]
        pts = face.landmarks[:MESH_POINTS, :2]
        outside = float(
            np.mean((pts[:, 0] < 0) | (pts[:, 1] < 0) | (pts[:, 0] >= w) | (pts[:, 1] >= h))
        )
        if outside > self.max_outside:
            return (
                "face_out_of_frame",
                f"{outside:.0%} of the face lies outside the image",
                {"outside_fraction": round(outside, 3)},
            )
        return None

    def _select(self, faces: list[Face], selection: FaceSelection) -> list[int]:
        if not faces:
            return []
        if selection.mode == "all":
            return list(range(len(faces)))
        if selection.mode == "index":
            index = int(selection.index or 0)
            if index >= len(faces):
                raise ProcessingError(
                    f"face_index {index} requested but the target has {len(faces)} face(s)",
                    code="face_not_found",
                    details={"faces_found": len(faces)},
                )
            return [index]
        if selection.mode == "box" and selection.box:
            box = BBox(*map(float, selection.box))
            scores = [f.box.iou(box) for f in faces]
            best = int(np.argmax(scores))
            cx, cy = faces[best].box.center
            inside = box.x <= cx <= box.x + box.width and box.y <= cy <= box.y + box.height
            if scores[best] < 0.1 and not inside:
                raise ProcessingError(
                    "no detected face overlaps face_box",
                    code="face_not_found",
                    details={"faces_found": len(faces)},
                )
            return [best]
        return [int(np.argmax([f.box.area for f in faces]))]

    # --- the swap ---------------------------------------------------------------------------

    def process(
        self, source: np.ndarray, target: np.ndarray, options: SwapOptions
    ) -> ProcessResult:
        timings = _Timings()
        source_faces = self.find_faces(source, timings)
        if not source_faces:
            raise ProcessingError(
                "no face was found in the source image", code="no_face", details={"image": "source"}
            )
        if len(source_faces) > 1:
            raise ProcessingError(
                f"the source image shows {len(source_faces)} faces; it must show exactly one",
                code="multiple_source_faces",
                details={"faces_found": len(source_faces)},
            )
        source_face = source_faces[0]
        issue = self.problem(source_face, source)
        if issue:
            code, message, details = issue
            raise ProcessingError(
                f"source: {message}", code=code, details={"image": "source", **details}
            )
        target_faces = self.find_faces(target, timings)
        if not target_faces:
            raise ProcessingError(
                "no face was found in the target image", code="no_face", details={"image": "target"}
            )
        chosen = self._select(target_faces, options.selection)

        output = target.copy()
        replaced: list[int] = []
        skipped: list[dict[str, Any]] = []
        start = time.perf_counter()
        for index in chosen:
            face = target_faces[index]
            issue = self.problem(face, target)
            if issue:
                if options.selection.mode != "all":
                    code, message, details = issue
                    raise ProcessingError(
                        f"target: {message}",
                        code=code,
                        details={"image": "target", "face": index, **details},
                    )
                skipped.append({"face": index, "reason": issue[0]})
                continue
            # each face is cut from the original target, then pasted into the output
            crop, (x0, y0, x1, y1) = swap_face(
                source,
                source_face,
                target,
                face,
                shape=options.shape,
                keep_mouth=options.mouth_mask,
                keep_eyes=options.keep_eyes,
                blend=self.blend,
            )
            output[y0:y1, x0:x1] = crop
            replaced.append(index)
        timings.add("swap", start)
        if not replaced:
            raise ProcessingError(
                "none of the selected target faces could be swapped",
                code=skipped[0]["reason"] if skipped else "no_face",
                details={"skipped": skipped},
            )
        report = {
            "engine": self.name,
            "faces_found": [
                {
                    "index": i,
                    "box": f.box.to_list(),
                    "score": round(f.score, 3),
                    "pose": f.pose.to_dict(),
                }
                for i, f in enumerate(target_faces)
            ],
            "faces_replaced": replaced,
            "faces_skipped": skipped,
            "source_face": {"box": source_face.box.to_list(), "pose": source_face.pose.to_dict()},
            "timings_ms": timings.ms,
        }
        return ProcessResult(image=output, report=report)
