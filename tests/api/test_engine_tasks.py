"""Real tasks through the API with the classic engine."""

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from facegate.api import create_app
from helpers import auth, encode, face_bytes, files, noise_image, wait_for_status

pytestmark = pytest.mark.slow


@pytest.fixture
def classic_client(settings, services):
    settings.engine = "classic"
    with TestClient(create_app(settings, services=services)) as c:
        yield c


def test_real_swap_task(classic_client, make_token) -> None:
    token = make_token()
    r = classic_client.post(
        "/api/v1/face/tasks",
        headers=auth(token),
        files=files(face_bytes("obama.jpg"), face_bytes("biden.jpg")),
        data={"output_format": "png"},
    )
    assert r.status_code == 202
    done = wait_for_status(classic_client, token, r.json()["task_id"], timeout=60)
    assert done["status"] == "succeeded", done
    report = done["report"]
    assert report["engine"] == "classic"
    assert report["faces_replaced"] == [0]
    assert set(report["timings_ms"]) >= {"decode", "detect", "landmarks", "swap", "encode"}
    image = Image.open(
        io.BytesIO(classic_client.get(done["result_url"], headers=auth(token)).content)
    )
    assert image.format == "PNG"
    assert image.size == Image.open(io.BytesIO(face_bytes("biden.jpg"))).size


def test_engine_refusal_fails_the_task_with_its_code(classic_client, make_token) -> None:
    token = make_token()
    r = classic_client.post(
        "/api/v1/face/tasks",
        headers=auth(token),
        files=files(face_bytes("obama.jpg"), encode(noise_image(300, 200))),
    )
    done = wait_for_status(classic_client, token, r.json()["task_id"], timeout=60)
    assert done["status"] == "failed"
    assert done["error"]["code"] == "no_face"
    assert done["result_url"] is None
    assert done["report"]["details"] == {"image": "target"}
