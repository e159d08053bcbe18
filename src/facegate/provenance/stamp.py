"""All provenance marks on an output, in order: pixels -> visible label -> invisible watermark
-> implicit metadata (XMP) -> C2PA manifest, signed last."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facegate.images import decode_image, encode_image
from facegate.provenance import watermark
from facegate.provenance.c2pa_sign import C2paSigner
from facegate.provenance.label import draw_label
from facegate.provenance.metadata import aigc_json, build_xmp, pixel_integrity
from facegate.settings import Settings

__all__ = ["Stamped", "Stamper"]


@dataclass
class Stamped:
    data: bytes
    report: dict[str, Any]
    timings_ms: dict[str, float] = field(default_factory=dict)


class Stamper:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.c2pa = C2paSigner(settings.c2pa_dir or settings.key_dir / "c2pa")

    def label_text(self) -> str:
        s = self.settings
        return f"{s.label_text} {s.label_text_en}".strip() if s.label_text_en else s.label_text

    def stamp(self, pixels: np.ndarray, *, content_id: str, fmt: str, tenant: str) -> Stamped:
        """``content_id``: 16 hex digits (the task id)."""
        s = self.settings
        timings: dict[str, float] = {}
        report: dict[str, Any] = {}

        def lap(name: str, start: float) -> None:
            timings[name] = round((time.perf_counter() - start) * 1000, 2)

        start = time.perf_counter()
        if tenant in s.label_off_tenants:
            report["visible_label"] = {"off": "FACEGATE_LABEL_OFF_TENANTS"}
        else:
            pixels, box = draw_label(pixels, self.label_text(), s.label_position)
            report["visible_label"] = box.to_dict()
        lap("label", start)

        start = time.perf_counter()
        pixels = watermark.embed(pixels, int(content_id, 16))
        report["watermark"] = {"content_id": content_id, "method": "dwt-dct-svd-512"}
        lap("watermark", start)

        start = time.perf_counter()
        # the integrity value covers the pixels a reader will decode from this very file
        plain = encode_image(pixels, fmt, quality=s.jpeg_quality)
        decoded = decode_image(plain, allowed_formats=[fmt], max_pixels=s.max_pixels).pixels
        integrity = pixel_integrity(decoded)
        label = aigc_json(producer=s.provider_code, produce_id=content_id, integrity=integrity)
        data = encode_image(pixels, fmt, quality=s.jpeg_quality, xmp=build_xmp(label))
        report["implicit_label"] = {"ReservedCode1": integrity}
        lap("metadata", start)

        start = time.perf_counter()
        if self.c2pa.configured:
            data = self.c2pa.sign(data, fmt, content_id=content_id)
            report["c2pa"] = "signed"
        else:
            report["c2pa"] = "off (no key: run `facegate keys init`)"
        lap("c2pa", start)
        return Stamped(data=data, report=report, timings_ms=timings)
