"""The registry over HTTP: enrolment rules, views without templates, tenancy, scopes."""

import pytest

from consent_helpers import EVIDENCE, consent_form, enrol, enrolment_photos
from helpers import auth, encode, head, noise_image, side_by_side

pytestmark = pytest.mark.slow


def test_enrol_and_read_back(client, make_token) -> None:
    token = make_token("subjects")
    subject = enrol(client, token, "obama.jpg")
    assert subject["status"] == "active"
    assert subject["template_count"] == 2
    consent = subject["consent"]
    assert consent["scope"] == ["swap_source", "swap_target"]
    assert consent["evidence_sha256"] == EVIDENCE
    # default expiry: 3 years
    from datetime import datetime

    granted = datetime.fromisoformat(consent["granted_at"])
    expires = datetime.fromisoformat(consent["expires_at"])
    assert 3 * 365 <= (expires - granted).days <= 3 * 366
    again = client.get(f"/api/v1/subjects/{subject['subject_id']}", headers=auth(token)).json()
    assert again["subject_id"] == subject["subject_id"]
    text = str(again)
    assert "vector" not in text and 'template"' not in text
    page = client.get("/api/v1/subjects?page=1&page_size=10", headers=auth(token)).json()
    assert page["total"] == 1 and page["items"][0]["subject_id"] == subject["subject_id"]


def test_photos_are_not_kept_by_default(client, make_token, services) -> None:
    enrol(client, make_token("subjects"), "obama.jpg")
    assert services.store.list_keys() == []


def test_evidence_document_is_hashed_not_kept(client, make_token, services) -> None:
    import hashlib

    form = consent_form()
    form.pop("evidence_sha256")
    r = client.post(
        "/api/v1/subjects",
        headers=auth(make_token("subjects")),
        data={"display_name": "x", **form},
        files=[
            *[("photos", p) for p in enrolment_photos("biden.jpg")],
            ("evidence_document", ("form.pdf", b"%PDF signed", "application/pdf")),
        ],
    )
    assert r.status_code == 201, r.text
    assert r.json()["consent"]["evidence_sha256"] == hashlib.sha256(b"%PDF signed").hexdigest()


@pytest.mark.parametrize(
    ("photos", "form", "code"),
    [
        (lambda: [("p", ("n.jpg", encode(noise_image(300, 300)), "image/jpeg"))], {}, "no_face"),
        (
            lambda: [
                (
                    "p",
                    (
                        "g.jpg",
                        encode(side_by_side(head("obama.jpg"), head("biden.jpg"))),
                        "image/jpeg",
                    ),
                )
            ],
            {},
            "multiple_faces",
        ),
        (
            lambda: (
                [("p", p) for p in enrolment_photos("obama.jpg")[:1]]
                + [("p", enrolment_photos("biden.jpg")[0])]
            ),
            {},
            "photos_mismatch",
        ),
        (
            lambda: [("p", p) for p in enrolment_photos("obama.jpg")],
            {"scope": "everything"},
            "invalid_consent",
        ),
        (
            lambda: [("p", p) for p in enrolment_photos("obama.jpg")],
            {"expires_at": "2035-01-01T00:00:00Z"},
            "invalid_consent",
        ),
        (
            lambda: [("p", p) for p in enrolment_photos("obama.jpg")],
            {"expires_at": "2020-01-01T00:00:00Z"},
            "invalid_consent",
        ),
        (
            lambda: [("p", p) for p in enrolment_photos("obama.jpg")],
            {"evidence_sha256": "abc"},
            "invalid_consent",
        ),
        (
            lambda: [("p", p) for p in enrolment_photos("obama.jpg")],
            {"is_minor": "true"},
            "guardian_consent_required",
        ),
        (
            lambda: [("p", p) for p in enrolment_photos("obama.jpg")],
            {"purpose": " "},
            "missing_field",
        ),
    ],
    ids=[
        "no-face",
        "two-faces",
        "different-people",
        "bad-scope",
        "expiry-too-far",
        "expired",
        "bad-evidence",
        "minor-without-guardian",
        "blank-purpose",
    ],
)
def test_enrolment_refusals(client, make_token, services, photos, form, code) -> None:
    files = [("photos", f) for _, f in photos()]
    r = client.post(
        "/api/v1/subjects",
        headers=auth(make_token("subjects")),
        data={"display_name": "x", **consent_form(**form)},
        files=files,
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code
    page = client.get("/api/v1/subjects", headers=auth(make_token("subjects"))).json()
    assert page["total"] == 0
    assert services.store.list_keys() == []


def test_small_face_is_refused_with_the_minimum(client, make_token) -> None:
    import cv2

    small = cv2.resize(head("obama.jpg"), (120, 120))  # face about 70 px
    r = client.post(
        "/api/v1/subjects",
        headers=auth(make_token("subjects")),
        data={"display_name": "x", **consent_form()},
        files=[("photos", ("s.jpg", encode(small), "image/jpeg"))],
    )
    assert r.status_code == 422
    body = r.json()["error"]
    assert body["code"] in {"face_too_small", "no_face"}
    if body["code"] == "face_too_small":
        assert body["details"]["min_face_px"] == 80


def test_scope_and_tenancy(client, make_token) -> None:
    subject = enrol(client, make_token("subjects", tenant="acme"), "obama.jpg")
    sid = subject["subject_id"]
    r = client.get(f"/api/v1/subjects/{sid}", headers=auth(make_token("process", tenant="acme")))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "insufficient_scope")
    other = make_token("subjects", tenant="globex")
    for method, path in (
        ("get", f"/api/v1/subjects/{sid}"),
        ("post", f"/api/v1/subjects/{sid}/withdraw"),
        ("delete", f"/api/v1/subjects/{sid}"),
    ):
        r = getattr(client, method)(path, headers=auth(other))
        assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found"), path
    assert client.get("/api/v1/subjects", headers=auth(other)).json()["total"] == 0
