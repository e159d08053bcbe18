"""Pure rules: does this consent record authorise this use of this face, now?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["USES", "ConsentDecision", "ConsentTerms", "check_consent", "faces_match"]

USES = frozenset({"swap_source", "swap_target"})


@dataclass(frozen=True)
class ConsentTerms:
    status: str  # active | withdrawn | expired
    scope: frozenset[str]
    valid_from: datetime
    expires_at: datetime
    is_minor: bool = False
    guardian_consent: bool = False


@dataclass(frozen=True)
class ConsentDecision:
    allowed: bool
    code: str | None = None
    message: str = ""


_OK = ConsentDecision(True)


def check_consent(terms: ConsentTerms | None, *, use: str, at: datetime) -> ConsentDecision:
    """The first reason that forbids ``use`` at time ``at``, or allowed."""
    if use not in USES:
        raise ValueError(f"unknown use {use!r}")
    if terms is None:
        return ConsentDecision(False, "consent_required", "no consent record for this face")
    if terms.status == "withdrawn":
        return ConsentDecision(False, "consent_withdrawn", "the subject withdrew consent")
    if terms.status == "expired" or at >= terms.expires_at:
        return ConsentDecision(False, "consent_expired", "the consent record has expired")
    if terms.status != "active":
        return ConsentDecision(False, "consent_required", f"consent is {terms.status}")
    if at < terms.valid_from:
        return ConsentDecision(False, "consent_required", "the consent is not valid yet")
    if use not in terms.scope:
        return ConsentDecision(False, "consent_required", f"the consent does not cover {use}")
    if terms.is_minor and not terms.guardian_consent:
        return ConsentDecision(
            False, "consent_required", "the subject is a minor without guardian consent"
        )
    return _OK


def faces_match(distance: float, threshold: float) -> bool:
    return distance < threshold
