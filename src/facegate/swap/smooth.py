"""Wide Gaussian blurs, computed at reduced resolution (equivalent for large sigmas, and
independent of the face's size in pixels)."""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["wide_blur"]


def wide_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of a float32 image; beyond sigma 3 it works on a downscaled copy."""
    h, w = image.shape[:2]
    if sigma <= 3.0:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    factor = sigma / 3.0
    small = cv2.resize(
        image, (max(1, round(w / factor)), max(1, round(h / factor))), interpolation=cv2.INTER_AREA
    )
    small = cv2.GaussianBlur(small, (0, 0), 3.0)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
