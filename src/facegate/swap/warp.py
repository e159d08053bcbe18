"""Geometry: similarity alignment and a piecewise-affine warp over the mesh triangles.

The warp is computed backwards: every destination pixel finds its triangle (rasterised once per
face) and maps through that triangle's affine transform into the source, then one ``cv2.remap``
samples the source.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["apply_transform", "piecewise_affine_maps", "similarity_transform"]


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 least-squares similarity (rotation, uniform scale, translation) mapping src -> dst
    (Umeyama, without reflection)."""
    src = src.astype(np.float64)
    dst = dst.astype(np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s_c, d_c = src - mu_s, dst - mu_d
    cov = d_c.T @ s_c / len(src)
    u, sig, vt = np.linalg.svd(cov)
    fix = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        fix[1, 1] = -1
    rot = u @ fix @ vt
    var_s = (s_c**2).sum() / len(src)
    scale = float((sig * np.diag(fix)).sum() / var_s) if var_s > 0 else 1.0
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rot
    matrix[:, 2] = mu_d - scale * rot @ mu_s
    return matrix


def apply_transform(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


def piecewise_affine_maps(
    src_points: np.ndarray,
    dst_points: np.ndarray,
    triangles: np.ndarray,
    shape: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maps (map_x, map_y) for ``cv2.remap`` over an image of ``shape`` (h, w) whose pixels at
    ``dst_points`` take the source pixels at ``src_points``, plus the coverage mask (uint8 0/255).
    """
    h, w = shape
    tri_dst = dst_points[triangles].astype(np.float64)  # (N, 3, 2)
    tri_src = src_points[triangles].astype(np.float64)
    # affine per triangle, destination -> source: [x y 1] @ coef = [sx sy]
    ones = np.ones((len(triangles), 3, 1))
    lhs = np.concatenate([tri_dst, ones], axis=2)  # (N, 3, 3)
    det = np.linalg.det(lhs)
    usable = np.abs(det) > 1e-6
    coef = np.zeros((len(triangles), 3, 2))
    coef[usable] = np.linalg.solve(lhs[usable], tri_src[usable])

    ids = np.zeros((h, w), dtype=np.int32)
    # draw back-to-front by depth is unnecessary for a frontal-ish face; draw in order
    pts = np.round(tri_dst).astype(np.int32)
    for k in np.nonzero(usable)[0]:
        cv2.fillConvexPoly(ids, pts[k], int(k) + 1)
    covered = ids > 0
    idx = ids[covered] - 1
    ys, xs = np.nonzero(covered)
    c = coef[idx]  # (M, 3, 2)
    map_x = np.full((h, w), -1.0, dtype=np.float32)
    map_y = np.full((h, w), -1.0, dtype=np.float32)
    map_x[covered] = xs * c[:, 0, 0] + ys * c[:, 1, 0] + c[:, 2, 0]
    map_y[covered] = xs * c[:, 0, 1] + ys * c[:, 1, 1] + c[:, 2, 1]
    return map_x, map_y, covered.astype(np.uint8) * 255
