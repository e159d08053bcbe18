"""The decision order of one task, with recorded stage outcomes."""

import numpy as np

from facegate.consent import ConsentDecision
from facegate.pipeline import StageTimer, run_pipeline
from facegate.safety import DEFAULT_THRESHOLDS, SafetyPolicy
from facegate.screening import ContentScreen
from facegate.swap.base import ProcessResult, SwapOptions
from facegate.vision.nsfw import NsfwDetection


class Consent:
    """Matches the source, then reports the record withdrawn by the time the engine is done."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def source(self, image):
        self.calls.append("source")
        return ConsentDecision(True), {}

    def terms_allow_source(self):
        self.calls.append("final")
        return ConsentDecision(False, "consent_withdrawn", "withdrawn meanwhile")


class BorderlineOutput:
    name = "recorded"

    def setup(self) -> None:
        return None

    def __call__(self, image):
        if image[0, 0, 0] == 7:  # the processed output
            return [NsfwDetection("BUTTOCKS_EXPOSED", 0.47)]
        return [NsfwDetection("FACE_FEMALE", 0.8)]


class Marker:
    name = "test-only"

    def setup(self) -> None:
        return None

    def process(self, source, target, options):
        out = np.array(target)
        out[0, 0] = 7
        return ProcessResult(image=out, report={"engine": "test-only"})


def test_withdrawn_consent_wins_over_a_held_output() -> None:
    consent = Consent()
    screen = ContentScreen(BorderlineOutput(), SafetyPolicy(thresholds=DEFAULT_THRESHOLDS))
    image = np.zeros((32, 32, 3), np.uint8)
    outcome = run_pipeline(
        processor=Marker(),
        source=image,
        target=image.copy(),
        options=SwapOptions(),
        timer=StageTimer(),
        consent=consent,
        screen=screen,
    )
    assert (outcome.status, outcome.error_code) == ("rejected", "consent_withdrawn")
    assert outcome.image is None
    assert consent.calls == ["source", "final"]


def test_output_is_held_when_consent_still_holds() -> None:
    consent = Consent()
    consent.terms_allow_source = lambda: ConsentDecision(True)  # type: ignore[method-assign]
    screen = ContentScreen(BorderlineOutput(), SafetyPolicy(thresholds=DEFAULT_THRESHOLDS))
    image = np.zeros((32, 32, 3), np.uint8)
    outcome = run_pipeline(
        processor=Marker(),
        source=image,
        target=image.copy(),
        options=SwapOptions(),
        timer=StageTimer(),
        consent=consent,
        screen=screen,
    )
    assert outcome.status == "pending_review"
    assert outcome.image is not None
    assert outcome.report["safety"]["output"]["verdict"] == "review"
