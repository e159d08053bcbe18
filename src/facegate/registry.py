"""The consent registry: enrol subjects, read them back, withdraw (and expire) consent.

Enrolment keeps face templates only; the photos are kept only with
``FACEGATE_KEEP_ENROLMENT_PHOTOS=true`` (data minimisation: a template is enough to enforce
consent, and a photo is more sensitive biometric data to lose). Withdrawal deletes templates,
photos and every output still held that was derived from the subject, cancels queued tasks,
and leaves a tombstone of ids, hashes and times.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import String, cast, func, or_, select

from facegate.biometrics import Biometrics
from facegate.consent import USES, ConsentTerms
from facegate.db import Database
from facegate.db import queries as q
from facegate.db.tables import Consent, FaceTemplate, Subject, Task
from facegate.errors import NotFoundError, ValidationError
from facegate.images import DecodedImage
from facegate.settings import Settings
from facegate.storage import BlobStore, array_to_bytes, new_key
from facegate.types import TaskStatus

__all__ = [
    "ConsentFields",
    "enrol_subject",
    "expire_consents",
    "load_templates",
    "load_terms",
    "subject_view",
    "withdraw_subject",
]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MIN_SHARPNESS = 15.0  # variance of the Laplacian on a 150 px face; blurred photos are refused


@dataclass(frozen=True)
class ConsentFields:
    scope: frozenset[str]
    purpose: str
    jurisdiction: str
    collection_method: str
    evidence_sha256: str
    notice_version: str
    granted_at: datetime | None = None
    valid_from: datetime | None = None
    expires_at: datetime | None = None
    is_minor: bool = False
    guardian_consent: bool = False

    def validated(self, settings: Settings, now: datetime) -> ConsentFields:
        if not self.scope or not self.scope <= USES:
            raise ValidationError(
                f"scope must be a comma list of {', '.join(sorted(USES))}", code="invalid_consent"
            )
        for name in ("purpose", "jurisdiction", "collection_method", "notice_version"):
            if not getattr(self, name).strip():
                raise ValidationError(
                    f"consent field '{name}' is required",
                    code="missing_field",
                    details={"field": name},
                )
        if not _SHA256.match(self.evidence_sha256):
            raise ValidationError(
                "evidence_sha256 must be the 64-hex SHA-256 of the signed consent document "
                "(or upload the document as 'evidence_document')",
                code="invalid_consent",
            )
        if self.is_minor and not self.guardian_consent:
            raise ValidationError(
                "a minor needs guardian consent (guardian_consent=true)",
                code="guardian_consent_required",
            )
        granted = _aware(self.granted_at) or now
        valid_from = _aware(self.valid_from) or granted
        limit = granted + timedelta(days=365.25 * settings.consent_max_years)
        expires = _aware(self.expires_at) or limit
        if expires > limit + timedelta(minutes=1):
            raise ValidationError(
                f"expires_at may be at most {settings.consent_max_years:g} years after granting",
                code="invalid_consent",
            )
        if expires <= valid_from or expires <= now:
            raise ValidationError(
                "expires_at must lie in the future, after valid_from", code="invalid_consent"
            )
        return ConsentFields(
            scope=self.scope,
            purpose=self.purpose.strip(),
            jurisdiction=self.jurisdiction.strip(),
            collection_method=self.collection_method.strip(),
            evidence_sha256=self.evidence_sha256,
            notice_version=self.notice_version.strip(),
            granted_at=granted,
            valid_from=valid_from,
            expires_at=expires,
            is_minor=self.is_minor,
            guardian_consent=self.guardian_consent,
        )


def _aware(value: datetime | None) -> datetime | None:
    return q.aware(value)


def enrol_subject(
    *,
    settings: Settings,
    db: Database,
    store: BlobStore,
    biometrics: Biometrics,
    tenant: str,
    actor: str,
    display_name: str,
    photos: list[DecodedImage],
    photo_sha256s: list[str],
    consent: ConsentFields,
) -> Subject:
    now = q.now()
    terms = consent.validated(settings, now)
    if not display_name.strip():
        raise ValidationError(
            "display_name (a name or pseudonym) is required",
            code="missing_field",
            details={"field": "display_name"},
        )
    if not 1 <= len(photos) <= settings.enrol_max_photos:
        raise ValidationError(
            f"send 1 to {settings.enrol_max_photos} enrolment photos",
            code="invalid_field",
            details={"field": "photos"},
        )
    templates = []
    for i, photo in enumerate(photos):
        pixels, detections = biometrics.detect_any_orientation(photo.pixels)
        where = {"photo": i}
        if not detections:
            raise ValidationError(f"photo {i}: no face found", code="no_face", details=where)
        if len(detections) > 1:
            raise ValidationError(
                f"photo {i}: {len(detections)} faces; exactly one is needed",
                code="multiple_faces",
                details=where,
            )
        det = detections[0]
        size = min(det.box.width, det.box.height)
        if size < settings.enrol_min_face_px:
            raise ValidationError(
                f"photo {i}: the face is {size:.0f} px; at least {settings.enrol_min_face_px} px "
                "is needed",
                code="face_too_small",
                details={**where, "min_face_px": settings.enrol_min_face_px},
            )
        sample = biometrics.sample(pixels, det)
        if sample.sharpness < MIN_SHARPNESS:
            raise ValidationError(
                f"photo {i}: the face is too blurred",
                code="low_quality",
                details={**where, "sharpness": round(sample.sharpness, 1)},
            )
        templates.append(sample.template)
    for i in range(len(templates)):
        for j in range(i + 1, len(templates)):
            distance = float(np.linalg.norm(templates[i] - templates[j]))
            if distance >= settings.enrol_consistency_threshold:
                raise ValidationError(
                    f"photos {i} and {j} do not show the same person",
                    code="photos_mismatch",
                    details={"photos": [i, j]},
                )

    subject_id = secrets.token_hex(8)
    photo_keys: list[str | None] = [None] * len(photos)
    try:
        if settings.keep_enrolment_photos:
            for i, photo in enumerate(photos):
                key = new_key("enrolment", "npy")
                store.put(key, array_to_bytes(photo.pixels))
                photo_keys[i] = key
        with db.session() as s:
            subject = Subject(
                id=subject_id,
                tenant=tenant,
                display_name=display_name.strip(),
                status="active",
                created_at=now,
                created_by=actor,
                photo_sha256s=photo_sha256s,
            )
            s.add(subject)
            s.flush()
            s.add(
                Consent(
                    subject_id=subject_id,
                    scope=",".join(sorted(terms.scope)),
                    purpose=terms.purpose,
                    jurisdiction=terms.jurisdiction,
                    granted_at=terms.granted_at,
                    valid_from=terms.valid_from,
                    expires_at=terms.expires_at,
                    collection_method=terms.collection_method,
                    evidence_sha256=terms.evidence_sha256,
                    notice_version=terms.notice_version,
                    is_minor=terms.is_minor,
                    guardian_consent=terms.guardian_consent,
                    status="active",
                )
            )
            for template, key in zip(templates, photo_keys, strict=True):
                s.add(
                    FaceTemplate(
                        subject_id=subject_id,
                        vector=np.asarray(template, "<f4").tobytes(),
                        photo_key=key,
                        created_at=now,
                    )
                )
    except BaseException:
        for key in photo_keys:
            if key:
                store.delete(key)
        raise
    return subject


def _get_subject(s: Any, tenant: str, subject_id: str) -> Subject:
    subject = s.scalar(select(Subject).where(Subject.id == subject_id, Subject.tenant == tenant))
    if subject is None:
        raise NotFoundError(f"no subject {subject_id!r}")
    return subject


def _consent(s: Any, subject_id: str) -> Consent | None:
    return s.scalar(
        select(Consent).where(Consent.subject_id == subject_id).order_by(Consent.id.desc())
    )


def subject_view(db: Database, *, tenant: str, subject_id: str) -> dict[str, Any]:
    with db.session() as s:
        return _view(s, _get_subject(s, tenant, subject_id))


def _view(s: Any, subject: Subject) -> dict[str, Any]:
    consent = _consent(s, subject.id)
    count = s.scalar(select(func.count()).where(FaceTemplate.subject_id == subject.id)) or 0
    body: dict[str, Any] = {
        "subject_id": subject.id,
        "display_name": subject.display_name,
        "status": subject.status,
        "created_at": q.aware(subject.created_at),
        "template_count": int(count),
        "consent": None,
    }
    if consent is not None:
        body["consent"] = {
            "scope": consent.scope.split(","),
            "purpose": consent.purpose,
            "jurisdiction": consent.jurisdiction,
            "granted_at": q.aware(consent.granted_at),
            "valid_from": q.aware(consent.valid_from),
            "expires_at": q.aware(consent.expires_at),
            "collection_method": consent.collection_method,
            "evidence_sha256": consent.evidence_sha256,
            "notice_version": consent.notice_version,
            "is_minor": consent.is_minor,
            "guardian_consent": consent.guardian_consent,
            "status": consent.status,
            "withdrawn_at": q.aware(consent.withdrawn_at),
            "withdrawal_channel": consent.withdrawal_channel,
        }
    if subject.tombstone:
        body["tombstone"] = subject.tombstone
    return body


def list_subjects(db: Database, *, tenant: str, page: int, page_size: int) -> dict[str, Any]:
    with db.session() as s:
        total = s.scalar(select(func.count()).where(Subject.tenant == tenant)) or 0
        rows = s.scalars(
            select(Subject)
            .where(Subject.tenant == tenant)
            .order_by(Subject.created_at, Subject.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        items = [_view(s, r) for r in rows]
    return {"items": items, "page": page, "page_size": page_size, "total": int(total)}


def load_terms(db: Database, *, tenant: str, subject_id: str) -> ConsentTerms | None:
    """None when the subject is unknown in this tenant (or has no consent record)."""
    with db.session() as s:
        subject = s.scalar(
            select(Subject).where(Subject.id == subject_id, Subject.tenant == tenant)
        )
        consent = _consent(s, subject_id) if subject is not None else None
        if consent is None:
            return None
        return ConsentTerms(
            status=consent.status,
            scope=frozenset(consent.scope.split(",")),
            valid_from=q.aware(consent.valid_from),  # type: ignore[arg-type]
            expires_at=q.aware(consent.expires_at),  # type: ignore[arg-type]
            is_minor=consent.is_minor,
            guardian_consent=consent.guardian_consent,
        )


def load_templates(db: Database, *, subject_ids: list[str]) -> dict[str, list[np.ndarray]]:
    with db.session() as s:
        rows = s.scalars(select(FaceTemplate).where(FaceTemplate.subject_id.in_(subject_ids)))
        found: dict[str, list[np.ndarray]] = {}
        for row in rows:
            found.setdefault(row.subject_id, []).append(np.frombuffer(row.vector, "<f4"))
    return found


def active_subjects_with_scope(db: Database, *, tenant: str, use: str) -> list[str]:
    now = q.now()
    with db.session() as s:
        rows = s.execute(
            select(Consent.subject_id, Consent.scope)
            .join(Subject, Subject.id == Consent.subject_id)
            .where(
                Subject.tenant == tenant,
                Consent.status == "active",
                Consent.valid_from <= now,
                Consent.expires_at > now,
            )
        )
        return [sid for sid, scope in rows if use in scope.split(",")]


@dataclass
class Erasure:
    canceled_tasks: list[str] = field(default_factory=list)
    deleted_outputs: list[str] = field(default_factory=list)
    templates_deleted: int = 0
    photos_deleted: int = 0


def withdraw_subject(
    *,
    db: Database,
    store: BlobStore,
    tenant: str,
    subject_id: str,
    channel: str,
    status: str = "withdrawn",
) -> dict[str, Any]:
    """Withdraw (or expire) at once: block, cancel, delete, keep a tombstone. Idempotent."""
    now = q.now()
    erasure = Erasure()
    with db.session() as s:
        subject = _get_subject(s, tenant, subject_id)
        consent = _consent(s, subject_id)
        if subject.status != "active":
            return _view(s, subject)
        subject.status = status
        if consent is not None:
            consent.status = status
            consent.withdrawn_at = now
            consent.withdrawal_channel = channel
        templates = list(
            s.scalars(select(FaceTemplate).where(FaceTemplate.subject_id == subject_id))
        )
        template_hashes = [hashlib.sha256(t.vector).hexdigest() for t in templates]
        photo_keys = [t.photo_key for t in templates if t.photo_key]
        for t in templates:
            s.delete(t)
        erasure.templates_deleted = len(templates)
        code = "consent_withdrawn" if status == "withdrawn" else "consent_expired"
        derived = s.scalars(
            select(Task).where(
                Task.tenant == tenant,
                or_(
                    Task.source_subject_id == subject_id,
                    cast(Task.target_subject_ids, String).like(f'%"{subject_id}"%'),
                ),
            )
        )
        cleanup_keys: list[str] = []
        for task in derived:
            if task.status in (TaskStatus.QUEUED, TaskStatus.PENDING_REVIEW):
                task.status = TaskStatus.CANCELED
                task.error_code = code
                task.error_message = "consent ended before the task ran"
                task.finished_at = now
                erasure.canceled_tasks.append(task.id)
            if task.result_key:
                cleanup_keys.append(task.result_key)
                task.result_key = None
                task.deleted_at = now
                erasure.deleted_outputs.append(task.id)
            if task.status != TaskStatus.RUNNING:
                cleanup_keys += [k for k in (task.source_key, task.target_key) if k]
                task.source_key = task.target_key = None
            task.updated_at = now
        subject.tombstone = {
            "subject_id": subject_id,
            "ended": status,
            "ended_at": now.isoformat(),
            "channel": channel,
            "consent_granted_at": q.aware(consent.granted_at).isoformat() if consent else None,
            "evidence_sha256": consent.evidence_sha256 if consent else None,
            "template_sha256s": template_hashes,
            "photo_sha256s": subject.photo_sha256s,
            "canceled_tasks": erasure.canceled_tasks,
            "deleted_outputs": erasure.deleted_outputs,
        }
        view = None
    # files go after the commit: a crash in between leaves orphans for cleanup, never a
    # database that points at deleted files
    for key in [*cleanup_keys, *photo_keys]:
        store.delete(key)
    erasure.photos_deleted = len(photo_keys)
    with db.session() as s:
        view = _view(s, _get_subject(s, tenant, subject_id))
    return view


def expire_consents(*, db: Database, store: BlobStore) -> list[dict[str, Any]]:
    """Consents past their expiry behave like a withdrawal (channel ``expiry``)."""
    now = q.now()
    with db.session() as s:
        due = list(
            s.execute(
                select(Subject.id, Subject.tenant)
                .join(Consent, Consent.subject_id == Subject.id)
                .where(Subject.status == "active", Consent.expires_at <= now)
            )
        )
    return [
        withdraw_subject(
            db=db,
            store=store,
            tenant=tenant,
            subject_id=subject_id,
            channel="expiry",
            status="expired",
        )
        for subject_id, tenant in due
    ]
