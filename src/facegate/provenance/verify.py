"""Report every provenance mark found in a file: watermark content id (and whether the caller's
tenant produced it), implicit label and whether its pixel-integrity value still matches, and
the C2PA manifest's state. A visible label is not required (it may be cropped off)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from facegate.db import Database
from facegate.db import queries as q
from facegate.images import decode_image
from facegate.provenance import watermark
from facegate.provenance.c2pa_sign import read_c2pa
from facegate.provenance.metadata import pixel_integrity, read_xmp
from facegate.settings import Settings

__all__ = ["verify_file"]


def verify_file(
    data: bytes, *, settings: Settings, db: Database | None, tenant: str | None
) -> dict[str, Any]:
    image = decode_image(
        data, allowed_formats=settings.allowed_formats, max_pixels=settings.max_pixels, field="file"
    )
    report: dict[str, Any] = {"format": image.format}

    reading = watermark.extract(image.pixels)
    mark: dict[str, Any] = {"found": reading.found, "agreement": reading.agreement}
    if reading.found and reading.content_id is not None:
        content_id = f"{reading.content_id:016x}"
        mark["content_id"] = content_id
        if db is not None and tenant is not None:
            with db.session() as s:
                mark["produced_by_this_tenant"] = (
                    q.get_task(s, task_id=content_id, tenant=tenant) is not None
                )
    report["watermark"] = mark

    label = read_xmp(data)
    implicit: dict[str, Any] = {"found": label.count > 0, "count": label.count}
    if label.aigc is not None:
        implicit["aigc"] = label.aigc
        implicit["digital_source_type"] = label.digital_source_type
        implicit["integrity_matches"] = label.aigc.get("ReservedCode1") == pixel_integrity(
            image.pixels
        )
    report["implicit_label"] = implicit

    root = Path(settings.c2pa_dir or settings.key_dir / "c2pa") / "root.pem"
    anchors = root.read_text() if root.is_file() else None
    report["c2pa"] = read_c2pa(data, image.format, trust_anchors=anchors)
    return report
