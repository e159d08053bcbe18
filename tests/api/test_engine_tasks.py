"""Real swaps through the API: the classic engine behind biometric consent enforcement."""

import io
from datetime import timedelta

import pytest
from PIL import Image

from consent_helpers import enrol
from facegate.api import create_app
from facegate.db import queries as q
from facegate.db.tables import Consent, FaceTemplate
from helpers import (
    auth,
    encode,
    face_bytes,
    face_rgb,
    files,
    head,
    loopback_client,
    noise_image,
    wait_for_status,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def classic_client(settings, services):
    settings.engine = "classic"
    settings.consent_enforcement = "biometric"
    with loopback_client(create_app(settings, services=services)) as c:
        yield c


@pytest.fixture
def tokens(make_token):
    return {"process": make_token("process"), "subjects": make_token("subjects")}


def swap(client, token, source: bytes, target: bytes, subject_id: str | None, **data):
    form = {**data, **({"source_subject_id": subject_id} if subject_id else {})}
    r = client.post(
        "/api/v1/face/tasks", headers=auth(token), files=files(source, target), data=form
    )
    assert r.status_code == 202, r.text
    return wait_for_status(client, token, r.json()["task_id"], timeout=60)


def source_photo(name: str) -> bytes:
    """A photo of the person that was not used for enrolment."""
    import cv2

    return encode(cv2.convertScaleAbs(face_rgb(name), alpha=0.9, beta=-5), quality=85)


def test_consenting_person_is_swapped(classic_client, tokens) -> None:
    subject = enrol(classic_client, tokens["subjects"], "obama.jpg")
    done = swap(
        classic_client,
        tokens["process"],
        source_photo("obama.jpg"),
        face_bytes("biden.jpg"),
        subject["subject_id"],
        output_format="png",
    )
    assert done["status"] == "succeeded", done
    report = done["report"]
    assert report["engine"] == "classic"
    assert report["consent"] == {"enforcement": "biometric", "source": "matched"}
    assert report["faces_replaced"] == [0]
    assert set(report["timings_ms"]) >= {
        "decode",
        "consent",
        "detect",
        "landmarks",
        "swap",
        "provenance",
    }
    image = Image.open(
        io.BytesIO(classic_client.get(done["result_url"], headers=auth(tokens["process"])).content)
    )
    assert image.format == "PNG"
    assert image.size == Image.open(io.BytesIO(face_bytes("biden.jpg"))).size


def test_unenrolled_face_is_refused_without_storing_it(classic_client, tokens, services) -> None:
    done = swap(
        classic_client, tokens["process"], face_bytes("obama.jpg"), face_bytes("biden.jpg"), None
    )
    assert (done["status"], done["error"]["code"]) == ("rejected", "consent_required")
    assert services.store.list_keys() == []
    unknown = swap(
        classic_client,
        tokens["process"],
        face_bytes("obama.jpg"),
        face_bytes("biden.jpg"),
        "0123456789abcdef",
    )
    assert (unknown["status"], unknown["error"]["code"]) == ("rejected", "consent_required")


def test_someone_elses_face_is_a_mismatch(classic_client, tokens) -> None:
    biden = enrol(classic_client, tokens["subjects"], "biden.jpg")
    done = swap(
        classic_client,
        tokens["process"],
        source_photo("obama.jpg"),
        face_bytes("astronaut.png"),
        biden["subject_id"],
    )
    assert (done["status"], done["error"]["code"]) == ("rejected", "consent_mismatch")
    assert "biden" not in str(done).lower()
    assert done["result_url"] is None


def test_expired_consent_is_refused_and_cleaned_up(classic_client, tokens, services) -> None:
    subject = enrol(classic_client, tokens["subjects"], "obama.jpg")
    sid = subject["subject_id"]
    with services.db.session() as s:  # the clock moves past the expiry
        consent = s.query(Consent).filter_by(subject_id=sid).one()
        consent.expires_at = q.now() - timedelta(seconds=1)
    done = swap(
        classic_client, tokens["process"], source_photo("obama.jpg"), face_bytes("biden.jpg"), sid
    )
    assert (done["status"], done["error"]["code"]) == ("rejected", "consent_expired")
    report = services.maintain()
    assert report.consents_expired == [sid]
    view = classic_client.get(f"/api/v1/subjects/{sid}", headers=auth(tokens["subjects"])).json()
    assert view["status"] == "expired" and view["template_count"] == 0
    assert view["tombstone"]["channel"] == "expiry"


def test_withdrawal_blocks_and_deletes_derived_outputs(classic_client, tokens, services) -> None:
    subject = enrol(classic_client, tokens["subjects"], "obama.jpg")
    sid = subject["subject_id"]
    done = swap(
        classic_client, tokens["process"], source_photo("obama.jpg"), face_bytes("biden.jpg"), sid
    )
    assert done["status"] == "succeeded"
    result_files = [k for k in services.store.list_keys() if k.startswith("results/")]
    assert len(result_files) == 1
    result_path = services.store.root / result_files[0]
    assert result_path.is_file()

    r = classic_client.post(
        f"/api/v1/subjects/{sid}/withdraw",
        headers=auth(tokens["subjects"]),
        data={"channel": "email"},
    )
    assert r.status_code == 200
    view = r.json()
    assert view["status"] == "withdrawn"
    assert view["consent"]["withdrawal_channel"] == "email"
    assert view["template_count"] == 0
    tomb = view["tombstone"]
    assert tomb["deleted_outputs"] == [done["task_id"]]
    assert len(tomb["template_sha256s"]) == 2
    # on disk and in the database
    assert not result_path.exists()
    assert services.store.list_keys() == []
    with services.db.session() as s:
        assert s.query(FaceTemplate).filter_by(subject_id=sid).count() == 0
    r = classic_client.get(done["result_url"], headers=auth(tokens["process"]))
    assert (r.status_code, r.json()["error"]["code"]) == (410, "result_expired")
    again = swap(
        classic_client, tokens["process"], source_photo("obama.jpg"), face_bytes("biden.jpg"), sid
    )
    assert (again["status"], again["error"]["code"]) == ("rejected", "consent_withdrawn")


def test_withdrawal_cancels_queued_tasks(settings, services, tokens) -> None:
    settings.engine = "classic"
    settings.consent_enforcement = "biometric"
    with loopback_client(create_app(settings, services=services, run_worker=False)) as c:
        sid = enrol(c, tokens["subjects"], "obama.jpg")["subject_id"]
        r = c.post(
            "/api/v1/face/tasks",
            headers=auth(tokens["process"]),
            files=files(source_photo("obama.jpg"), face_bytes("biden.jpg")),
            data={"source_subject_id": sid},
        )
        task_id = r.json()["task_id"]
        assert r.json()["status"] == "queued"
        c.delete(f"/api/v1/subjects/{sid}", headers=auth(tokens["subjects"]))
        body = c.get(f"/api/v1/face/tasks/{task_id}", headers=auth(tokens["process"])).json()
        assert (body["status"], body["error"]["code"]) == ("canceled", "consent_withdrawn")
        assert services.store.list_keys() == []


def test_engine_refusal_fails_the_task_with_its_code(classic_client, tokens) -> None:
    sid = enrol(classic_client, tokens["subjects"], "obama.jpg")["subject_id"]
    done = swap(
        classic_client,
        tokens["process"],
        source_photo("obama.jpg"),
        encode(noise_image(300, 200)),
        sid,
    )
    assert done["status"] == "failed"
    assert done["error"]["code"] == "no_face"
    assert done["report"]["details"] == {"image": "target"}


def test_target_consent_when_required(classic_client, tokens, services) -> None:
    services.settings.require_target_consent = True
    sid = enrol(classic_client, tokens["subjects"], "obama.jpg")["subject_id"]
    done = swap(
        classic_client, tokens["process"], source_photo("obama.jpg"), face_bytes("biden.jpg"), sid
    )
    assert (done["status"], done["error"]["code"]) == ("rejected", "consent_required")
    assert services.store.list_keys() == []
    enrol(classic_client, tokens["subjects"], "biden.jpg", scope="swap_target")
    done = swap(
        classic_client, tokens["process"], source_photo("obama.jpg"), encode(head("biden.jpg")), sid
    )
    assert done["status"] == "succeeded", done
    assert done["report"]["consent"]["targets"] == "matched"


def test_sideways_source_photo_still_matches(classic_client, tokens) -> None:
    import numpy as np

    subject = enrol(classic_client, tokens["subjects"], "obama.jpg")
    sideways = encode(np.ascontiguousarray(np.rot90(face_rgb("obama.jpg"), 1)))
    done = swap(
        classic_client, tokens["process"], sideways, face_bytes("biden.jpg"), subject["subject_id"]
    )
    assert done["status"] == "succeeded", done
    assert done["report"]["consent"]["source"] == "matched"
