"""Consent enforcement inside a task, before any processing and again before any output.

The source face must be the named subject's (biometric match against their templates) and the
subject's consent must allow ``swap_source`` now. With ``require_target_consent`` every replaced
target face must match some subject of the tenant whose consent allows ``swap_target``; the
caller is never told whom a face resembles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facegate.biometrics import Biometrics
from facegate.consent import ConsentDecision, check_consent, faces_match
from facegate.db import Database
from facegate.db import queries as q
from facegate.registry import active_subjects_with_scope, load_templates, load_terms
from facegate.settings import Settings
from facegate.types import BBox, Detection

__all__ = ["ConsentCheck", "TargetConsent", "source_terms_decision"]


def source_terms_decision(db: Database, *, tenant: str, subject_id: str | None) -> ConsentDecision:
    """The record alone (no pixels): cheap, run at submission and again before output."""
    if not subject_id:
        return ConsentDecision(
            False, "consent_required", "name the consenting source person with source_subject_id"
        )
    terms = load_terms(db, tenant=tenant, subject_id=subject_id)
    return check_consent(terms, use="swap_source", at=q.now())


@dataclass
class TargetConsent:
    decision: ConsentDecision
    matched_subjects: list[str] = field(default_factory=list)


@dataclass
class ConsentCheck:
    settings: Settings
    db: Database
    biometrics: Biometrics
    tenant: str
    subject_id: str | None

    def terms_allow_source(self) -> ConsentDecision:
        """The record alone (no pixels): cheap, run at submission and again before output."""
        if not self.subject_id:
            return ConsentDecision(
                False,
                "consent_required",
                "name the consenting source person with source_subject_id",
            )
        terms = load_terms(self.db, tenant=self.tenant, subject_id=self.subject_id)
        return check_consent(terms, use="swap_source", at=q.now())

    def source(self, image: np.ndarray) -> tuple[ConsentDecision, dict[str, Any]]:
        decision = self.terms_allow_source()
        if not decision.allowed:
            return decision, {}
        image, detections = self.biometrics.detect_any_orientation(image)
        if len(detections) != 1:
            return ConsentDecision(
                False,
                "consent_mismatch",
                "the source must show exactly one face to be matched against the subject",
            ), {"faces_found": len(detections)}
        sample = self.biometrics.sample(image, detections[0])
        templates = load_templates(self.db, subject_ids=[str(self.subject_id)]).get(
            str(self.subject_id), []
        )
        distance = self.biometrics.best_distance(sample.template, templates)
        if not faces_match(distance, self.settings.consent_match_threshold):
            return ConsentDecision(
                False, "consent_mismatch", "the source face does not match the named subject"
            ), {}
        return decision, {
            "distance": round(distance, 3),
            "threshold": self.settings.consent_match_threshold,
        }

    def targets(self, image: np.ndarray, boxes: list[BBox]) -> TargetConsent:
        """Each replaced target face must belong to a subject consenting to ``swap_target``."""
        candidates = active_subjects_with_scope(self.db, tenant=self.tenant, use="swap_target")
        templates = load_templates(self.db, subject_ids=candidates)
        matched: list[str] = []
        for box in boxes:
            sample = self.biometrics.sample(image, Detection(box=box, score=1.0))
            best_id, best = None, float("inf")
            for subject_id, vectors in templates.items():
                distance = self.biometrics.best_distance(sample.template, vectors)
                if distance < best:
                    best_id, best = subject_id, distance
            if best_id is None or not faces_match(best, self.settings.consent_match_threshold):
                return TargetConsent(
                    ConsentDecision(
                        False,
                        "consent_required",
                        "a replaced target face has no consent record allowing swap_target",
                    )
                )
            matched.append(best_id)
        return TargetConsent(ConsentDecision(True), matched)
