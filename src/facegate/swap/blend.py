"""Blending a warped face into its target crop without a visible seam."""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["alpha_blend", "laplacian_blend"]


def alpha_blend(face: np.ndarray, target: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``alpha`` in [0, 1], (h, w)."""
    a = alpha[:, :, None]
    return np.clip(
        face.astype(np.float32) * a + target.astype(np.float32) * (1.0 - a) + 0.5, 0, 255
    ).astype(np.uint8)


def laplacian_blend(
    face: np.ndarray, target: np.ndarray, alpha: np.ndarray, levels: int = 4
) -> np.ndarray:
    """Multi-band blending (Burt & Adelson 1983): coarse bands blend over a wide border, fine
    bands over a narrow one, so there is no seam and no halo. Identity details stay because the
    mask interior keeps the face's own high frequencies."""
    h, w = alpha.shape
    levels = max(1, min(levels, int(np.log2(max(8, min(h, w)))) - 3))
    f = face.astype(np.float32)
    t = target.astype(np.float32)
    m = alpha.astype(np.float32)
    gf, gt, gm = [f], [t], [m]
    for _ in range(levels):
        gf.append(cv2.pyrDown(gf[-1]))
        gt.append(cv2.pyrDown(gt[-1]))
        gm.append(cv2.pyrDown(gm[-1]))
    out = gf[-1] * gm[-1][:, :, None] + gt[-1] * (1 - gm[-1][:, :, None])
    for i in range(levels - 1, -1, -1):
        size = (gf[i].shape[1], gf[i].shape[0])
        lf = gf[i] - cv2.pyrUp(gf[i + 1], dstsize=size)
        lt = gt[i] - cv2.pyrUp(gt[i + 1], dstsize=size)
        band = lf * gm[i][:, :, None] + lt * (1 - gm[i][:, :, None])
        out = cv2.pyrUp(out, dstsize=size) + band
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
