"""Real outputs carry every mark, and the verify endpoint reads them back."""

import io

import pytest
from PIL import Image

from facegate.api import create_app
from facegate.provenance.keys import init_c2pa_keys
from helpers import auth, encode, files, loopback_client, noise_image, wait_for_status


@pytest.fixture
def signed_client(settings, services):
    init_c2pa_keys(settings.c2pa_dir)
    with loopback_client(create_app(settings, services=services)) as c:
        yield c


def test_output_marks_and_verify(signed_client, make_token) -> None:
    c = signed_client
    token = make_token(tenant="acme")
    r = c.post(
        "/api/v1/face/tasks",
        headers=auth(token),
        files=files(encode(noise_image(400, 300, seed=1)), encode(noise_image(640, 480, seed=2))),
    )
    done = wait_for_status(c, token, r.json()["task_id"])
    assert done["status"] == "succeeded", done
    prov = done["report"]["provenance"]
    assert prov["visible_label"]["text_height_px"] >= 0.05 * 480
    assert prov["c2pa"] == "signed"
    data = c.get(done["result_url"], headers=auth(token)).content

    report = c.post(
        "/api/v1/provenance/verify",
        headers=auth(token),
        files={"file": ("x.jpg", data, "image/jpeg")},
    ).json()
    assert report["watermark"]["found"] is True
    assert report["watermark"]["content_id"] == done["task_id"]
    assert report["watermark"]["produced_by_this_tenant"] is True
    assert report["implicit_label"]["count"] == 1
    assert report["implicit_label"]["integrity_matches"] is True
    assert report["c2pa"]["state"] == "trusted"

    # re-encoded at JPEG 75: C2PA and the metadata are gone, the watermark stays
    buf = io.BytesIO()
    Image.open(io.BytesIO(data)).save(buf, "JPEG", quality=75)
    other = make_token(tenant="globex")
    again = c.post(
        "/api/v1/provenance/verify",
        headers=auth(other),
        files={"file": ("y.jpg", buf.getvalue(), "image/jpeg")},
    ).json()
    assert again["watermark"]["content_id"] == done["task_id"]
    assert again["watermark"]["produced_by_this_tenant"] is False
    assert again["c2pa"]["state"] == "absent"
    assert again["implicit_label"]["found"] is False
    assert c.get("/ready").json()["checks"]["c2pa"] == "on"


def test_unmarked_file_reports_nothing(signed_client, make_token) -> None:
    report = signed_client.post(
        "/api/v1/provenance/verify",
        headers=auth(make_token()),
        files={"file": ("n.png", encode(noise_image(300, 200, seed=4), "PNG"), "image/png")},
    ).json()
    assert report["watermark"]["found"] is False
    assert report["implicit_label"] == {"found": False, "count": 0}
    assert report["c2pa"] == {"state": "absent"}


def test_verify_rejects_bad_files(signed_client, make_token) -> None:
    r = signed_client.post(
        "/api/v1/provenance/verify",
        headers=auth(make_token()),
        files={"file": ("t.png", b"not an image", "image/png")},
    )
    assert (r.status_code, r.json()["error"]["code"]) == (415, "unsupported_format")
