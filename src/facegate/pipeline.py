"""The decision flow of one task:
consent -> safety (inputs) -> swap -> safety (output) -> consent again (-> provenance).

Pure with respect to I/O: it takes decoded arrays and returns an outcome; the worker loads and
stores. Each stage's time lands in ``report["timings_ms"]``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facegate.consent import ConsentDecision
from facegate.enforcement import ConsentCheck
from facegate.errors import FaceGateError
from facegate.safety import SafetyDecision, Verdict
from facegate.screening import NSFW_OFF, ContentScreen
from facegate.swap.base import Processor, SwapOptions
from facegate.types import BBox, TaskStatus

__all__ = ["PipelineOutcome", "StageTimer", "run_pipeline"]


class StageTimer:
    def __init__(self) -> None:
        self.timings_ms: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = (time.perf_counter() - start) * 1000.0
            self.timings_ms[name] = round(self.timings_ms.get(name, 0.0) + elapsed, 2)


@dataclass
class PipelineOutcome:
    status: TaskStatus
    image: np.ndarray | None = None
    report: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None
    target_subject_ids: list[str] = field(default_factory=list)


CONSENT_OFF = {
    "enforcement": "off",
    "why": "FACEGATE_CONSENT_ENFORCEMENT=off, accepted only with the test-only engine",
}


def _rejected(decision: ConsentDecision, report: dict[str, Any]) -> PipelineOutcome:
    return PipelineOutcome(
        status=TaskStatus.REJECTED,
        report=report,
        error_code=decision.code,
        error_message=decision.message,
    )


def _unavailable(screen: ContentScreen, report: dict[str, Any]) -> PipelineOutcome:
    report["safety"] = {"nsfw": "unavailable"}
    return PipelineOutcome(
        status=TaskStatus.FAILED,
        report=report,
        error_code="nsfw_detector_unavailable",
        error_message=f"the NSFW detector could not be loaded ({screen.error}); "
        "FaceGate does not process without it",
    )


def _safety_hold(
    decision: SafetyDecision, report: dict[str, Any], *, stage: str, approved: bool
) -> PipelineOutcome | None:
    """Record the check; a rejected or held outcome, or None to go on."""
    entry = {"verdict": decision.verdict.value, "deciding": decision.deciding}
    report.setdefault("safety", {})[stage] = entry
    if decision.verdict == Verdict.REJECT:
        return PipelineOutcome(
            status=TaskStatus.REJECTED,
            report=report,
            error_code="nsfw_content",
            error_message=f"the {stage} show(s) content FaceGate refuses",
        )
    if decision.verdict == Verdict.REVIEW and not approved:
        return PipelineOutcome(status=TaskStatus.PENDING_REVIEW, report=report)
    if decision.verdict == Verdict.REVIEW:
        entry["approved_by_review"] = True
    return None


def run_pipeline(
    *,
    processor: Processor,
    source: np.ndarray,
    target: np.ndarray,
    options: SwapOptions,
    timer: StageTimer,
    consent: ConsentCheck | None,
    screen: ContentScreen | None,
    require_target_consent: bool = False,
    inputs_approved: bool = False,
) -> PipelineOutcome:
    """Consent before any processing; the engine; consent again (and the targets' consent),
    then the output's safety check, before any output is stored.

    Engine refusals (no_face, ...) become a failed outcome with their code; consent refusals a
    rejected one. ``consent=None`` only where enforcement is off (test-only engine)."""
    report: dict[str, Any] = {"consent": dict(CONSENT_OFF)} if consent is None else {}
    if consent is not None:
        with timer.stage("consent"):
            decision, _ = consent.source(source)
        report["consent"] = {
            "enforcement": "biometric",
            "source": "matched" if decision.allowed else decision.code,
        }
        if not decision.allowed:
            return _rejected(decision, report)
    if screen is None:
        report["safety"] = dict(NSFW_OFF)
    else:
        if not screen.setup():
            return _unavailable(screen, report)
        with timer.stage("safety"):
            decision = screen.screen({"source": source, "target": target})
        held = _safety_hold(decision, report, stage="inputs", approved=inputs_approved)
        if held is not None:
            return held
    try:
        with timer.stage("engine"):
            result = processor.process(source, target, options)
    except FaceGateError as exc:
        if exc.details is not None:
            report["details"] = exc.details
        return PipelineOutcome(
            status=TaskStatus.FAILED, report=report, error_code=exc.code, error_message=exc.message
        )
    report.update(result.report)
    outcome = PipelineOutcome(status=TaskStatus.SUCCEEDED, image=result.image, report=report)
    if consent is not None:
        if require_target_consent:
            boxes = [
                BBox(*result.report["faces_found"][i]["box"])
                for i in result.report.get("faces_replaced", [])
            ]
            with timer.stage("consent"):
                targets = consent.targets(target, boxes)
            report["consent"]["targets"] = "matched" if targets.decision.allowed else "refused"
            if not targets.decision.allowed:
                return _rejected(targets.decision, report)
            outcome.target_subject_ids = targets.matched_subjects
        # consent may have been withdrawn while the engine ran: no output then
        final = consent.terms_allow_source()
        if not final.allowed:
            return _rejected(final, report)
    if screen is not None:
        with timer.stage("safety"):
            decision = screen.screen({"output": result.image})
        held = _safety_hold(decision, report, stage="output", approved=False)
        if held is not None:
            if held.status == TaskStatus.PENDING_REVIEW:
                held.image = result.image  # stored, served only once a reviewer approves
            held.target_subject_ids = outcome.target_subject_ids
            return held
    return outcome
