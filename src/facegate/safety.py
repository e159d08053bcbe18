"""Pure content-safety policy: detector outputs -> allow / review / reject.

A class whose score reaches its threshold rejects (``nsfw_content``). A score within
``review_band`` under the threshold sends the task to human review when review is enabled,
and rejects it otherwise. Classes without a threshold never decide.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from facegate.vision.nsfw import NsfwDetection

__all__ = ["DEFAULT_THRESHOLDS", "SafetyDecision", "SafetyPolicy", "Verdict"]

# Exposed genitalia, breasts, buttocks and anus; the "covered" and face/feet classes never decide.
DEFAULT_THRESHOLDS: dict[str, float] = {
    "FEMALE_GENITALIA_EXPOSED": 0.45,
    "MALE_GENITALIA_EXPOSED": 0.45,
    "ANUS_EXPOSED": 0.45,
    "FEMALE_BREAST_EXPOSED": 0.5,
    "BUTTOCKS_EXPOSED": 0.55,
}


class Verdict(enum.StrEnum):
    ALLOW = "allow"
    REVIEW = "review"
    REJECT = "reject"


@dataclass(frozen=True)
class SafetyDecision:
    verdict: Verdict
    deciding: list[dict[str, object]] = field(default_factory=list)  # classes and scores

    @property
    def code(self) -> str | None:
        return {Verdict.REJECT: "nsfw_content", Verdict.REVIEW: "nsfw_review"}.get(self.verdict)


@dataclass(frozen=True)
class SafetyPolicy:
    thresholds: Mapping[str, float]
    review_band: float = 0.15
    review_enabled: bool = True

    def decide(self, detections: Iterable[NsfwDetection], *, image: str) -> SafetyDecision:
        over, near = [], []
        for det in detections:
            limit = self.thresholds.get(det.label)
            if limit is None:
                continue
            entry = {
                "image": image,
                "class": det.label,
                "score": round(det.score, 3),
                "threshold": limit,
            }
            if det.score >= limit:
                over.append(entry)
            elif det.score >= round(limit - self.review_band, 9):  # 0.45 - 0.15 != 0.30
                near.append(entry)
        if over:
            return SafetyDecision(Verdict.REJECT, over)
        if near:
            return SafetyDecision(Verdict.REVIEW if self.review_enabled else Verdict.REJECT, near)
        return SafetyDecision(Verdict.ALLOW)

    @staticmethod
    def combine(*decisions: SafetyDecision) -> SafetyDecision:
        """The strictest verdict, with every class that contributed to it."""
        for verdict in (Verdict.REJECT, Verdict.REVIEW):
            hits = [d for d in decisions if d.verdict == verdict]
            if hits:
                return SafetyDecision(verdict, [e for d in hits for e in d.deciding])
        return SafetyDecision(Verdict.ALLOW)
