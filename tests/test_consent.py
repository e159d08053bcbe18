"""The pure consent rules, every branch."""

from datetime import UTC, datetime, timedelta

import pytest

from facegate.consent import ConsentTerms, check_consent, faces_match

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def terms(**kw) -> ConsentTerms:
    base = {
        "status": "active",
        "scope": frozenset({"swap_source"}),
        "valid_from": NOW - timedelta(days=1),
        "expires_at": NOW + timedelta(days=30),
    }
    base.update(kw)
    return ConsentTerms(**base)


@pytest.mark.parametrize(
    ("record", "use", "code"),
    [
        (None, "swap_source", "consent_required"),
        (terms(status="withdrawn"), "swap_source", "consent_withdrawn"),
        (terms(status="expired"), "swap_source", "consent_expired"),
        (terms(expires_at=NOW), "swap_source", "consent_expired"),
        (terms(valid_from=NOW + timedelta(days=1)), "swap_source", "consent_required"),
        (terms(), "swap_target", "consent_required"),
        (terms(is_minor=True), "swap_source", "consent_required"),
        (terms(status="suspended"), "swap_source", "consent_required"),
    ],
)
def test_refusals(record, use, code) -> None:
    decision = check_consent(record, use=use, at=NOW)
    assert not decision.allowed
    assert decision.code == code
    assert decision.message


def test_allowed() -> None:
    assert check_consent(terms(), use="swap_source", at=NOW).allowed
    assert check_consent(
        terms(is_minor=True, guardian_consent=True), use="swap_source", at=NOW
    ).allowed


def test_unknown_use_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        check_consent(terms(), use="anything", at=NOW)


def test_match_is_strictly_under_the_threshold() -> None:
    assert faces_match(0.49, 0.5)
    assert not faces_match(0.5, 0.5)


def test_consent_cannot_be_off_with_a_real_engine(tmp_path) -> None:
    from pydantic import ValidationError

    from facegate.settings import Settings

    with pytest.raises(ValidationError, match="CONSENT_ENFORCEMENT=off is refused"):
        Settings(_env_file=None, data_dir=tmp_path, engine="classic", consent_enforcement="off")
