"""The blend mask: the face from chin to mid-forehead, feathered, optionally without the
target's mouth interior and eyes.

The full face oval would carry the source's hair and fringe onto the target's forehead, so the
forehead part of the oval is lowered a fifth of the way towards the brows.
"""

from __future__ import annotations

import cv2
import numpy as np

from facegate.swap.mesh import BROWS, FACE_OVAL, INNER_MOUTH, LEFT_EYE, RIGHT_EYE
from facegate.swap.smooth import wide_blur

__all__ = ["face_mask"]


def _trimmed_oval(
    points: np.ndarray, forehead_keep: float = 0.8, shrink: float = 1.0
) -> np.ndarray:
    oval = points[FACE_OVAL].astype(np.float64)
    up = points[10] - points[152]
    up = up / (np.linalg.norm(up) + 1e-9)
    brow = points[BROWS].mean(0)
    heights = (oval - brow) @ up
    above = np.clip(heights, 0, None)
    oval = oval - np.outer(above * (1.0 - forehead_keep), up)
    centre = points[1]  # nose tip
    return centre + (oval - centre) * shrink


def face_mask(
    dst_points: np.ndarray,
    target_points: np.ndarray,
    shape: tuple[int, int],
    *,
    keep_mouth: bool,
    keep_eyes: bool,
    face_size: float,
    erode: float = 0.02,
    feather: float = 0.04,
) -> np.ndarray:
    """Float alpha (h, w) in [0, 1]. ``dst_points``: where the new face lands; ``target_points``:
    the target's own landmarks (its mouth and eyes are kept from them)."""
    h, w = shape
    hard = np.zeros((h, w), np.uint8)
    oval = _trimmed_oval(dst_points) if len(dst_points) else dst_points
    outline = _trimmed_oval(target_points)
    # the face must not reach past either outline: the intersection of both
    cv2.fillPoly(hard, [np.round(oval).astype(np.int32)], 255)
    other = np.zeros_like(hard)
    cv2.fillPoly(other, [np.round(outline).astype(np.int32)], 255)
    hard = cv2.bitwise_and(hard, other)
    grow = max(1, int(face_size * erode))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    holes = np.zeros_like(hard)
    if keep_mouth:
        cv2.fillPoly(holes, [np.round(target_points[INNER_MOUTH]).astype(np.int32)], 255)
    if keep_eyes:
        for ring in (LEFT_EYE, RIGHT_EYE):
            cv2.fillPoly(holes, [np.round(target_points[ring]).astype(np.int32)], 255)
    if holes.any():
        hard[cv2.dilate(holes, kernel) > 0] = 0
    hard = cv2.erode(hard, kernel)
    sigma = max(1.0, face_size * feather)
    alpha = wide_blur(hard.astype(np.float32) / 255.0, sigma)
    return np.clip(alpha * _forehead_ramp(dst_points, (h, w)), 0.0, 1.0)


def _forehead_ramp(points: np.ndarray, shape: tuple[int, int], start: float = 0.25) -> np.ndarray:
    """1 below the brows, fading to 0 at the top of the trimmed oval: the source's hairline and
    fringe never reach the output, and the target's upper forehead shows instead."""
    up = points[10] - points[152]
    up = up / (np.linalg.norm(up) + 1e-9)
    brow = points[BROWS].mean(0)
    top = float(((_trimmed_oval(points) - brow) @ up).max())
    if top <= 1.0:
        return np.ones(shape, np.float32)
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    height = (xs - brow[0]) * up[0] + (ys - brow[1]) * up[1]
    return np.clip(1.0 - (height / top - start) / (1.0 - start), 0.0, 1.0).astype(np.float32)
