"""The visible label (GB 45438-2025 clause 5.2): "AI生成" (+ "AI-generated"), text height at least
5 % of the image's shortest side, on a contrasting backing, in a corner or along an edge.

The font is Noto Sans CJK SC (SIL OFL 1.1) from the ``mplfonts`` package, so CJK glyphs render
on any machine without system fonts.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["LabelBox", "draw_label", "font_path"]

POSITIONS = ("bottom-right", "bottom-left", "top-right", "top-left", "bottom", "top")
MIN_TEXT_FRACTION = 0.05


def font_path() -> Path:
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mplfonts package (Noto Sans CJK) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "fonts" / "NotoSansCJKsc-Regular.otf"


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)


@dataclass(frozen=True)
class LabelBox:
    text: str
    box: tuple[int, int, int, int]  # x, y, width, height of the backing
    text_height: int  # ink height of the text, pixels

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "box": list(self.box), "text_height_px": self.text_height}


def draw_label(
    pixels: np.ndarray, text: str, position: str = "bottom-right"
) -> tuple[np.ndarray, LabelBox]:
    """A labelled copy of an RGB image. The ink height of the text is at least 5 % of the
    shortest side (and at least 10 px)."""
    if position not in POSITIONS:
        raise ValueError(f"label position must be one of {', '.join(POSITIONS)}")
    h, w = pixels.shape[:2]
    target = max(10, math.ceil(MIN_TEXT_FRACTION * min(h, w)))
    size = target
    for _ in range(40):  # grow the font until the ink is tall enough
        left, top, right, bottom = _font(size).getbbox(text)
        if bottom - top >= target:
            break
        size += max(1, size // 10)
    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    ink_w, ink_h = right - left, bottom - top
    pad = max(2, round(0.3 * ink_h))
    box_w, box_h = ink_w + 2 * pad, ink_h + 2 * pad
    margin = max(2, round(0.02 * min(h, w)))
    x = {
        "bottom-right": w - box_w - margin,
        "top-right": w - box_w - margin,
        "bottom-left": margin,
        "top-left": margin,
    }.get(position, (w - box_w) // 2)
    y = margin if position.startswith("top") else h - box_h - margin
    x, y = max(0, x), max(0, y)
    image = Image.fromarray(pixels).convert("RGBA")
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rounded_rectangle((x, y, x + box_w - 1, y + box_h - 1), radius=pad, fill=(0, 0, 0, 170))
    draw.text((x + pad - left, y + pad - top), text, font=font, fill=(255, 255, 255, 255))
    out = Image.alpha_composite(image, overlay).convert("RGB")
    return np.asarray(out), LabelBox(text, (x, y, box_w, box_h), ink_h)
