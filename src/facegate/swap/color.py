"""Colour correction: move the warped source face to the target's skin tone and lighting."""

from __future__ import annotations

import cv2
import numpy as np

from facegate.swap.smooth import wide_blur

__all__ = ["match_color"]


def match_color(
    warped: np.ndarray,
    target: np.ndarray,
    region: np.ndarray,
    *,
    max_gain: float = 1.5,
    spread: bool = False,
    shading: bool = False,
) -> np.ndarray:
    """Shift each Lab channel's mean inside ``region`` (bool) to the target's (Reinhard et al.
    2001). Optionally match the spread too and correct low-frequency shading so light falls on
    the new face as on the old one; measured on the fixtures (bench/swap_quality.py) both cost
    identity (the descriptor moves towards the target), so they are off by default.
    Returns uint8 RGB."""
    if region.sum() < 16:
        return warped
    src_lab = cv2.cvtColor(warped, cv2.COLOR_RGB2LAB).astype(np.float32)
    tgt_lab = cv2.cvtColor(target, cv2.COLOR_RGB2LAB).astype(np.float32)
    s = src_lab[region]
    t = tgt_lab[region]
    s_mean, s_std = s.mean(0), s.std(0) + 1e-3
    t_mean, t_std = t.mean(0), t.std(0) + 1e-3
    gain = np.clip(t_std / s_std, 1.0 / max_gain, max_gain) if spread else np.ones(3, np.float32)
    out = (src_lab - s_mean) * gain + t_mean
    if not shading:
        return cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)

    # shading: ratio of heavily blurred luminance, measured inside the region only
    size = int(np.sqrt(region.sum()))
    sigma = max(2.0, size / 6.0)
    weight = wide_blur(region.astype(np.float32), sigma) + 1e-3
    blur_out = wide_blur(out[:, :, 0] * region, sigma) / weight
    blur_tgt = wide_blur(tgt_lab[:, :, 0] * region, sigma) / weight
    out[:, :, 0] += np.where(region, np.clip(blur_tgt - blur_out, -40, 40), 0.0)
    out = np.clip(out, 0, 255).astype(np.uint8)
    return cv2.cvtColor(out, cv2.COLOR_LAB2RGB)
