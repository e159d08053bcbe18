"""The safety policy on recorded detector outputs: every decision branch."""

import pytest

from facegate.safety import DEFAULT_THRESHOLDS, SafetyPolicy, Verdict
from facegate.vision.nsfw import NsfwDetection as D

POLICY = SafetyPolicy(thresholds=DEFAULT_THRESHOLDS, review_band=0.15, review_enabled=True)

# outputs recorded from NudeNet 320n (labels and scores as it reports them)
PORTRAIT = [D("FACE_FEMALE", 0.772), D("FEMALE_BREAST_COVERED", 0.254)]
EXPLICIT = [D("FACE_FEMALE", 0.81), D("FEMALE_BREAST_EXPOSED", 0.83), D("BELLY_EXPOSED", 0.62)]
BORDERLINE = [D("FACE_MALE", 0.7), D("BUTTOCKS_EXPOSED", 0.47)]


@pytest.mark.parametrize(
    ("detections", "verdict", "classes"),
    [
        ([], Verdict.ALLOW, []),
        (PORTRAIT, Verdict.ALLOW, []),
        (EXPLICIT, Verdict.REJECT, ["FEMALE_BREAST_EXPOSED"]),
        (BORDERLINE, Verdict.REVIEW, ["BUTTOCKS_EXPOSED"]),
        ([D("MALE_GENITALIA_EXPOSED", 0.45)], Verdict.REJECT, ["MALE_GENITALIA_EXPOSED"]),
        ([D("ANUS_EXPOSED", 0.2999)], Verdict.ALLOW, []),
        ([D("ANUS_EXPOSED", 0.30)], Verdict.REVIEW, ["ANUS_EXPOSED"]),
        ([D("FEET_EXPOSED", 0.99), D("BELLY_EXPOSED", 0.99)], Verdict.ALLOW, []),
    ],
    ids=[
        "nothing",
        "portrait",
        "explicit",
        "borderline",
        "at-threshold",
        "under-band",
        "band-edge",
        "non-deciding-classes",
    ],
)
def test_decisions(detections, verdict, classes) -> None:
    decision = POLICY.decide(detections, image="target")
    assert decision.verdict == verdict
    assert [d["class"] for d in decision.deciding] == classes
    assert all(d["image"] == "target" for d in decision.deciding)


def test_band_rejects_when_review_is_disabled() -> None:
    strict = SafetyPolicy(thresholds=DEFAULT_THRESHOLDS, review_band=0.15, review_enabled=False)
    decision = strict.decide(BORDERLINE, image="output")
    assert decision.verdict == Verdict.REJECT
    assert decision.code == "nsfw_content"


def test_combine_takes_the_strictest() -> None:
    allow = POLICY.decide(PORTRAIT, image="source")
    review = POLICY.decide(BORDERLINE, image="target")
    reject = POLICY.decide(EXPLICIT, image="output")
    assert SafetyPolicy.combine(allow, review).verdict == Verdict.REVIEW
    combined = SafetyPolicy.combine(review, reject, allow)
    assert combined.verdict == Verdict.REJECT
    assert [d["image"] for d in combined.deciding] == ["output"]
    assert SafetyPolicy.combine(allow, allow).verdict == Verdict.ALLOW
