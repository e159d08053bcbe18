"""``facegate swap``: the same decode -> pipeline -> encode path as a task, without a server."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from facegate.enforcement import ConsentCheck
from facegate.errors import FaceGateError
from facegate.images import decode_image
from facegate.pipeline import StageTimer, run_pipeline
from facegate.provenance.stamp import Stamper
from facegate.service import build_services
from facegate.settings import Settings
from facegate.submission import parse_swap_options
from facegate.swap.base import SwapOptions
from facegate.swap.registry import make_processor

__all__ = ["swap_files"]


def swap_files(
    settings: Settings,
    source_path: Path,
    target_path: Path,
    output_path: Path,
    *,
    subject_id: str | None,
    tenant: str = "default",
    **option_fields: Any,
) -> dict[str, Any]:
    """Consent, NSFW checks and provenance exactly as for a task; refusals raise."""
    options = parse_swap_options(**option_fields)
    timer = StageTimer()
    with timer.stage("decode"):
        source = decode_image(
            source_path.read_bytes(),
            allowed_formats=settings.allowed_formats,
            max_pixels=settings.max_pixels,
            field="source",
        )
        target = decode_image(
            target_path.read_bytes(),
            allowed_formats=settings.allowed_formats,
            max_pixels=settings.max_pixels,
            field="target",
        )
    services = build_services(settings)
    processor = make_processor(settings)
    consent = None
    with timer.stage("setup"):
        processor.setup()
        if settings.consent_enforcement == "biometric":
            services.biometrics.setup()
            consent = ConsentCheck(
                settings=settings,
                db=services.db,
                biometrics=services.biometrics,
                tenant=tenant,
                subject_id=subject_id,
            )
    outcome = run_pipeline(
        processor=processor,
        source=source.pixels,
        target=target.pixels,
        options=SwapOptions.from_dict(options["swap"]),
        timer=timer,
        consent=consent,
        screen=services.screen,
        require_target_consent=settings.require_target_consent,
    )
    if services.auditor is not None:
        services.auditor.record(
            "local.swap",
            actor="cli",
            tenant=tenant,
            objects={"source_subject_id": subject_id},
            details={
                "status": outcome.status,
                "error_code": outcome.error_code,
                "consent": outcome.report.get("consent"),
                "safety": outcome.report.get("safety"),
            },
        )
    if outcome.image is None or outcome.status != "succeeded":
        raise FaceGateError(
            outcome.error_message or "processing failed",
            code=outcome.error_code or "processing_failed",
            details=outcome.report.get("details"),
        )
    fmt = options["output_format"] or {
        "jpg": "JPEG",
        "jpeg": "JPEG",
        "png": "PNG",
        "webp": "WEBP",
    }.get(output_path.suffix.lower()[1:], target.format)
    content_id = secrets.token_hex(8)
    with timer.stage("provenance"):
        stamped = Stamper(settings).stamp(
            outcome.image, content_id=content_id, fmt=fmt, tenant="local"
        )
    data = stamped.data
    tmp = output_path.with_name(f".{output_path.name}.part")
    tmp.write_bytes(data)
    tmp.replace(output_path)
    report = dict(outcome.report)
    report["timings_ms"] = {**report.get("timings_ms", {}), **timer.timings_ms}
    report["output"] = str(output_path)
    report["provenance"] = stamped.report
    return report
