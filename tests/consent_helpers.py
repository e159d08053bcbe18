"""Enrolling fixture people through the API."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np

from helpers import auth, encode, face_rgb, head

EVIDENCE = hashlib.sha256(b"signed consent form").hexdigest()


def consent_form(**overrides: str) -> dict[str, str]:
    form = {
        "scope": "swap_source,swap_target",
        "purpose": "film post-production",
        "jurisdiction": "EU",
        "collection_method": "signed_form",
        "notice_version": "2026-01",
        "evidence_sha256": EVIDENCE,
    }
    form.update(overrides)
    return form


def enrolment_photos(name: str) -> list[tuple[str, bytes, str]]:
    """Two different photos of the same person: a crop and a brighter, mirrored full frame."""
    crop = head(name)
    full = cv2.convertScaleAbs(np.ascontiguousarray(face_rgb(name)[:, ::-1]), alpha=1.1, beta=10)
    return [("a.jpg", encode(crop), "image/jpeg"), ("b.jpg", encode(full), "image/jpeg")]


def enrol(client, token: str, name: str, **form: str) -> dict:
    r = client.post(
        "/api/v1/subjects",
        headers=auth(token),
        data={"display_name": f"person {name}", **consent_form(**form)},
        files=[("photos", p) for p in enrolment_photos(name)],
    )
    assert r.status_code == 201, r.text
    return r.json()
