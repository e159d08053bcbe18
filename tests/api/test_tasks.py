import io

import pytest
from PIL import Image

from helpers import (
    animated_png,
    auth,
    encode,
    face_bytes,
    files,
    gif_bytes,
    jpeg_with_gps,
    loopback_client,
    noise_image,
    png_declaring,
    wait_for_status,
)

SOURCE = encode(noise_image(80, 60, seed=1))
TARGET = encode(noise_image(120, 90, seed=2))


def submit(client, token, source=SOURCE, target=TARGET, data=None, headers=None):
    return client.post(
        "/api/v1/face/tasks",
        files=files(source, target),
        data=data or {},
        headers={**auth(token), **(headers or {})},
    )


def test_task_lifecycle(client, make_token) -> None:
    token = make_token()
    r = submit(client, token)
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "queued"
    assert body["status_url"].endswith(f"/api/v1/face/tasks/{body['task_id']}")
    done = wait_for_status(client, token, body["task_id"])
    assert done["status"] == "succeeded", done
    assert done["report"]["engine"] == "test-only"
    assert set(done["report"]["timings_ms"]) >= {"decode", "load", "engine", "provenance"}
    result = client.get(done["result_url"], headers=auth(token))
    assert result.status_code == 200
    assert result.headers["content-type"] == "image/jpeg"
    assert result.headers["cache-control"] == "no-store"
    assert Image.open(io.BytesIO(result.content)).size == (120, 90)


def test_uploads_are_deleted_when_the_task_ends(client, make_token, services) -> None:
    token = make_token()
    task_id = submit(client, token).json()["task_id"]
    assert wait_for_status(client, token, task_id)["status"] == "succeeded"
    keys = services.store.list_keys()
    assert [k for k in keys if k.startswith("uploads/")] == []
    assert len([k for k in keys if k.startswith("results/")]) == 1


def test_output_format_option(client, make_token) -> None:
    token = make_token()
    task_id = submit(client, token, data={"output_format": "png"}).json()["task_id"]
    done = wait_for_status(client, token, task_id)
    result = client.get(done["result_url"], headers=auth(token))
    assert result.headers["content-type"] == "image/png"


def test_other_tenants_task_is_404(client, make_token) -> None:
    mine = make_token(tenant="acme")
    theirs = make_token(tenant="globex")
    task_id = submit(client, mine).json()["task_id"]
    wait_for_status(client, mine, task_id)
    for path in (f"/api/v1/face/tasks/{task_id}", f"/api/v1/face/tasks/{task_id}/result"):
        r = client.get(path, headers=auth(theirs))
        assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    r = client.delete(f"/api/v1/face/tasks/{task_id}", headers=auth(theirs))
    assert r.status_code == 404


BAD_UPLOADS = [
    (b"", "empty_file", 422),
    (face_bytes("obama.jpg")[:20000], "corrupt_image", 422),
    (png_declaring(100_000, 100_000), "image_too_large", 413),
    (b"hello, I am text\n" * 20, "unsupported_format", 415),
    (gif_bytes(), "unsupported_format", 415),
    (animated_png(), "animated_image", 422),
]


@pytest.mark.parametrize(("bad", "code", "status"), BAD_UPLOADS)
@pytest.mark.parametrize("which", ["source", "target"])
def test_bad_uploads_leave_nothing_behind(client, make_token, services, bad, code, status, which):
    token = make_token()
    source, target = (bad, TARGET) if which == "source" else (SOURCE, bad)
    r = submit(client, token, source=source, target=target)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]
    assert services.store.list_keys() == []
    assert not list(services.store.root.rglob(".tmp-*"))
    from facegate.db import queries as q

    with services.db.session() as s:
        assert q.count_tasks_by_status(s) == {}


def test_missing_and_misnamed_fields(client, make_token) -> None:
    token = make_token()
    r = client.post(
        "/api/v1/face/tasks",
        files={
            "source": ("a.jpg", SOURCE, "image/jpeg"),
            "target_image": ("b.jpg", TARGET, "image/jpeg"),
        },
        headers=auth(token),
    )
    assert r.status_code == 422
    assert r.json()["error"] == {
        "code": "missing_field",
        "message": "required field 'source_image' is missing",
        "details": {"field": "source_image"},
    }


@pytest.mark.parametrize(
    "data",
    [
        {"face_selection": "biggest"},
        {"face_selection": "index"},
        {"face_selection": "box", "face_box": "1,2,3"},
        {"shape": "2"},
        {"output_format": "gif"},
    ],
)
def test_invalid_options(client, make_token, data) -> None:
    r = submit(client, make_token(), data=data)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_option"


def test_same_image_twice_is_refused(client, make_token) -> None:
    r = submit(client, make_token(), source=SOURCE, target=SOURCE)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "same_image")


def test_file_over_the_byte_limit_is_413(settings, services, make_token) -> None:

    from facegate.api import create_app

    settings.max_upload_bytes = 2000
    with loopback_client(create_app(settings, services=services)) as small:
        big = encode(noise_image(200, 200), "PNG")
        r = submit(small, make_token(), source=big)
        assert r.status_code == 413
        assert r.json()["error"]["code"] in {"file_too_large", "request_too_large"}
        assert services.store.list_keys() == []


def test_declared_body_over_the_limit_is_refused_before_reading(client, make_token) -> None:
    limit = client.app.state.services.settings.max_request_bytes
    r = client.post(
        "/api/v1/face/tasks",
        content=b"x" * 10,
        headers={
            **auth(make_token()),
            "Content-Length": str(limit + 1),
            "Content-Type": "multipart/form-data; boundary=zz",
        },
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "request_too_large"


def test_streamed_body_is_cut_off_at_the_limit(client, make_token) -> None:
    limit = client.app.state.services.settings.max_request_bytes

    def chunks():
        yield (
            b'--zz\r\nContent-Disposition: form-data; name="source_image"; filename="a.jpg"'
            b"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        for _ in range(limit // 65536 + 10):
            yield b"x" * 65536

    r = client.post(
        "/api/v1/face/tasks",
        content=chunks(),
        headers={**auth(make_token()), "Content-Type": "multipart/form-data; boundary=zz"},
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "request_too_large"


def test_malformed_multipart_is_400(client, make_token) -> None:
    r = client.post(
        "/api/v1/face/tasks",
        content=b"garbage",
        headers={**auth(make_token()), "Content-Type": "multipart/form-data; boundary=zz"},
    )
    assert r.status_code in {400, 422}
    assert r.json()["error"]["code"] in {"malformed_request", "missing_field"}


def test_gps_exif_is_not_stored(client, make_token, services) -> None:
    token = make_token()
    gps = jpeg_with_gps(noise_image(90, 70, seed=5))
    task_id = submit(client, token, source=SOURCE, target=gps).json()["task_id"]
    done = wait_for_status(client, token, task_id)
    data = client.get(done["result_url"], headers=auth(token)).content
    assert b"CameraMaker" not in data
    assert not Image.open(io.BytesIO(data)).getexif()


def test_idempotency_key_returns_the_first_task(client, make_token) -> None:
    token = make_token()
    first = submit(client, token, headers={"Idempotency-Key": "abc-1"})
    again = submit(client, token, headers={"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["task_id"] == again.json()["task_id"]
    other = submit(
        client, token, source=encode(noise_image(seed=9)), headers={"Idempotency-Key": "abc-1"}
    )
    assert (other.status_code, other.json()["error"]["code"]) == (409, "idempotency_key_reused")
    # another tenant may use the same key independently
    theirs = submit(client, make_token(tenant="globex"), headers={"Idempotency-Key": "abc-1"})
    assert theirs.json()["task_id"] != first.json()["task_id"]


def test_delete_finished_task_removes_its_files(client, make_token, services) -> None:
    token = make_token()
    task_id = submit(client, token).json()["task_id"]
    done = wait_for_status(client, token, task_id)
    r = client.delete(f"/api/v1/face/tasks/{task_id}", headers=auth(token))
    assert r.status_code == 200
    assert r.json()["result_url"] is None
    assert services.store.list_keys() == []
    r = client.get(done["result_url"], headers=auth(token))
    assert (r.status_code, r.json()["error"]["code"]) == (410, "result_expired")


def test_cancel_queued_task(settings, services, make_token) -> None:

    from facegate.api import create_app

    token = make_token()
    with loopback_client(create_app(settings, services=services, run_worker=False)) as c:
        task_id = submit(c, token).json()["task_id"]
        r = c.delete(f"/api/v1/face/tasks/{task_id}", headers=auth(token))
        assert r.status_code == 200
        assert r.json()["status"] == "canceled"
        assert services.store.list_keys() == []
    # a worker that later receives the message does nothing
    worker = services.attach_worker()
    worker.setup()
    worker.execute(task_id)
    with services.db.session() as s:
        from facegate.db import queries as q

        assert q.get_task(s, task_id=task_id).status == "canceled"


def test_result_before_it_is_ready_is_409(settings, services, make_token) -> None:

    from facegate.api import create_app

    token = make_token()
    with loopback_client(create_app(settings, services=services, run_worker=False)) as c:
        task_id = submit(c, token).json()["task_id"]
        r = c.get(f"/api/v1/face/tasks/{task_id}/result", headers=auth(token))
        assert (r.status_code, r.json()["error"]["code"]) == (409, "result_not_ready")


def test_process_waits_for_the_result(client, make_token) -> None:
    token = make_token()
    r = client.post("/api/v1/face/process", files=files(SOURCE, TARGET), headers=auth(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "succeeded"
    assert client.get(body["result_url"], headers=auth(token)).status_code == 200


def test_process_answers_202_when_the_wait_runs_out(settings, services, make_token) -> None:

    from facegate.api import create_app

    settings.sync_wait_s = 0.2
    token = make_token()
    with loopback_client(create_app(settings, services=services, run_worker=False)) as c:
        r = c.post("/api/v1/face/process", files=files(SOURCE, TARGET), headers=auth(token))
        assert r.status_code == 202
        assert r.json()["status"] == "queued"


def test_ready_and_metrics(client, make_token) -> None:
    import time

    for _ in range(100):
        r = client.get("/ready")
        if r.status_code == 200:
            break
        time.sleep(0.05)
    assert r.json()["checks"]["engine"] == {"name": "test-only", "status": "ready"}
    token = make_token()
    wait_for_status(client, token, submit(client, token).json()["task_id"])
    text = client.get("/metrics").text
    assert 'facegate_tasks{status="succeeded"} 1.0' in text
    assert "facegate_queue_length" in text
    assert 'facegate_stage_seconds_count{stage="engine"}' in text


def test_request_id_is_echoed(client) -> None:
    r = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    assert len(client.get("/health").headers["x-request-id"]) == 16


def test_openapi_documents_errors(client) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/v1/face/tasks"]["post"]
    assert {"401", "403", "413", "415", "422"} <= set(post["responses"])


def test_stored_upload_has_no_metadata(settings, services, make_token) -> None:
    from facegate.api import create_app

    token = make_token()
    gps = jpeg_with_gps(noise_image(90, 70, seed=5))
    with loopback_client(create_app(settings, services=services, run_worker=False)) as c:
        r = c.post("/api/v1/face/tasks", headers=auth(token), files=files(SOURCE, gps))
        assert r.status_code == 202
    uploads = [k for k in services.store.list_keys() if k.startswith("uploads/")]
    assert len(uploads) == 2
    for key in uploads:
        blob = services.store.get(key)
        assert blob.startswith(b"\x93NUMPY")  # raw pixels only
        assert b"CameraMaker" not in blob and b"Exif" not in blob
