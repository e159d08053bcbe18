"""Content safety through the API: rejection, human review of inputs and outputs, a missing
detector, the explicit off switch. The detector replays recorded NudeNet outputs, chosen by a
marker pixel, so every branch is reachable with harmless test images."""

import numpy as np
import pytest

from facegate.api import create_app
from facegate.safety import SafetyPolicy
from facegate.screening import ContentScreen
from facegate.swap.base import ProcessResult
from facegate.vision.nsfw import NsfwDetection as D
from facegate.worker import Worker
from helpers import auth, encode, files, loopback_client, noise_image, wait_for_status

RED, GREEN = (255, 0, 0), (0, 255, 0)
RECORDED = {
    RED: [D("FACE_FEMALE", 0.81), D("FEMALE_BREAST_EXPOSED", 0.83)],
    GREEN: [D("FACE_MALE", 0.7), D("BUTTOCKS_EXPOSED", 0.47)],
}
SAFE = [D("FACE_FEMALE", 0.77)]


class RecordedDetector:
    name = "recorded-nudenet"

    def setup(self) -> None:
        return None

    def __call__(self, image):
        return RECORDED.get(tuple(int(v) for v in image[0, 0]), SAFE)


class MarkingProcessor:
    """Test-only: returns the target with a marker pixel painted (a 'changed' output)."""

    name = "test-only"

    def __init__(self, marker=None):
        self.marker = marker

    def setup(self):
        return None

    def process(self, source, target, options):
        out = np.array(target)
        if self.marker:
            out[0, 0] = self.marker
        return ProcessResult(image=out, report={"engine": self.name})


def image(marker=None, seed=0) -> bytes:
    pixels = noise_image(64, 48, seed=seed)
    pixels[:8, :8] = 128
    if marker:
        pixels[0, 0] = marker
    return encode(pixels, "PNG")


@pytest.fixture
def reviewed(settings, services):
    def make(marker_out=None, review_enabled=True):
        settings.review_enabled = review_enabled
        services.screen = ContentScreen(
            RecordedDetector(),
            SafetyPolicy(
                thresholds=settings.nsfw_thresholds, review_band=0.15, review_enabled=review_enabled
            ),
        )
        worker = Worker(
            settings=settings,
            db=services.db,
            store=services.store,
            processor=MarkingProcessor(marker_out),
            metrics=services.metrics,
            on_finish=services.notifier.notify,
            screen=services.screen,
        )
        services.worker = worker
        services.queue.bind(worker.execute, services.maintain)
        return loopback_client(create_app(settings, services=services))

    return make


def submit(client, token, source=None, target=None):
    r = client.post(
        "/api/v1/face/tasks",
        headers=auth(token),
        files=files(source or image(seed=1), target or image(seed=2)),
    )
    assert r.status_code == 202, r.text
    return wait_for_status(client, token, r.json()["task_id"])


def test_explicit_input_is_rejected_and_nothing_kept(reviewed, make_token, services) -> None:
    with reviewed() as c:
        token = make_token()
        done = submit(c, token, target=image(RED))
        assert (done["status"], done["error"]["code"]) == ("rejected", "nsfw_content")
        deciding = done["report"]["safety"]["inputs"]["deciding"]
        assert deciding == [
            {"image": "target", "class": "FEMALE_BREAST_EXPOSED", "score": 0.83, "threshold": 0.5}
        ]
        assert services.store.list_keys() == []


def test_explicit_source_is_rejected(reviewed, make_token) -> None:
    with reviewed() as c:
        done = submit(c, make_token(), source=image(RED))
        assert done["error"]["code"] == "nsfw_content"
        assert done["report"]["safety"]["inputs"]["deciding"][0]["image"] == "source"


def test_explicit_output_is_rejected(reviewed, make_token, services) -> None:
    with reviewed(marker_out=RED) as c:
        done = submit(c, make_token())
        assert (done["status"], done["error"]["code"]) == ("rejected", "nsfw_content")
        assert done["report"]["safety"]["output"]["verdict"] == "reject"
        assert services.store.list_keys() == []


def test_borderline_input_goes_to_review_then_on(reviewed, make_token, services) -> None:
    with reviewed() as c:
        token, reviewer = make_token("process"), make_token("review")
        held = submit(c, token, target=image(GREEN))
        assert held["status"] == "pending_review"
        assert held["error"] is None
        r = c.get(f"/api/v1/face/tasks/{held['task_id']}/result", headers=auth(token))
        assert r.status_code == 409
        queue = c.get("/api/v1/review", headers=auth(reviewer)).json()
        assert [t["task_id"] for t in queue] == [held["task_id"]]
        assert c.get("/api/v1/review", headers=auth(token)).status_code == 403

        r = c.post(
            f"/api/v1/review/{held['task_id']}",
            headers=auth(reviewer),
            json={"decision": "approve", "note": "beach photo, fine"},
        )
        assert r.status_code == 200
        assert r.json()["status"] in {"queued", "running", "pending_review"}  # the worker is quick
        # the output still carries the borderline content: held again, now with the output
        again = wait_for_status(c, token, held["task_id"])
        assert again["status"] == "pending_review"
        assert again["report"]["safety"]["inputs"]["approved_by_review"] is True
        assert again["report"]["safety"]["output"]["verdict"] == "review"
        r = c.post(
            f"/api/v1/review/{held['task_id']}",
            headers=auth(reviewer),
            json={"decision": "approve", "note": "ok"},
        )
        done = r.json()
        assert done["status"] == "succeeded"
        assert done["report"]["review"]["reviewer"] == reviewer.split("_")[1]
        assert done["report"]["review"]["stage"] == "output"
        assert c.get(done["result_url"], headers=auth(token)).status_code == 200
        assert [k for k in services.store.list_keys() if k.startswith("uploads/")] == []


def test_reviewer_rejects_a_held_output(reviewed, make_token, services) -> None:
    with reviewed(marker_out=GREEN) as c:
        token, reviewer = make_token("process"), make_token("review")
        held = submit(c, token)
        assert held["status"] == "pending_review"
        assert held["report"]["safety"]["inputs"]["verdict"] == "allow"
        r = c.post(
            f"/api/v1/review/{held['task_id']}",
            headers=auth(reviewer),
            json={"decision": "reject", "note": "no"},
        )
        body = r.json()
        assert (body["status"], body["error"]["code"]) == ("rejected", "nsfw_content")
        assert body["report"]["review"]["decision"] == "reject"
        assert services.store.list_keys() == []
        r = c.post(
            f"/api/v1/review/{held['task_id']}",
            headers=auth(reviewer),
            json={"decision": "approve"},
        )
        assert (r.status_code, r.json()["error"]["code"]) == (409, "not_pending_review")


def test_band_is_rejected_when_review_is_off(reviewed, make_token) -> None:
    with reviewed(review_enabled=False) as c:
        done = submit(c, make_token(), target=image(GREEN))
        assert (done["status"], done["error"]["code"]) == ("rejected", "nsfw_content")


def test_review_of_another_tenant_is_404(reviewed, make_token) -> None:
    with reviewed() as c:
        held = submit(c, make_token(tenant="acme"), target=image(GREEN))
        r = c.post(
            f"/api/v1/review/{held['task_id']}",
            headers=auth(make_token("review", tenant="globex")),
            json={"decision": "approve"},
        )
        assert r.status_code == 404


def test_missing_detector_refuses_tasks(settings, make_token, services) -> None:
    settings.nsfw_detector = "onnx"
    settings.nsfw_onnx_file = "not-there.onnx"
    settings.nsfw_onnx_sha256 = "0" * 64
    from facegate.screening import make_screen

    services.screen = make_screen(settings)
    with loopback_client(create_app(settings, services=services)) as c:
        r = c.post(
            "/api/v1/face/tasks",
            headers=auth(make_token()),
            files=files(image(seed=1), image(seed=2)),
        )
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "nsfw_detector_unavailable"
        assert "not-there.onnx" in r.json()["error"]["message"]
        ready = c.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["nsfw"]["status"] == "unavailable"
        assert services.store.list_keys() == []


def test_switching_the_check_off_is_recorded(settings, make_token, services, caplog) -> None:
    import logging

    settings.nsfw_detector = "off"
    from facegate.screening import make_screen

    with caplog.at_level(logging.WARNING):
        services.screen = make_screen(settings)
    assert "CONTENT SAFETY IS OFF" in caplog.text
    with loopback_client(create_app(settings, services=services)) as c:
        token = make_token()
        done = submit(c, token, target=encode(noise_image(seed=3)))
        assert done["report"]["safety"] == {"nsfw": "off", "why": "FACEGATE_NSFW_DETECTOR=off"}
        assert c.get("/ready").json()["checks"]["nsfw"].startswith("off")


def test_unreviewed_tasks_expire(reviewed, make_token, services) -> None:
    from datetime import timedelta

    from facegate.db import queries as q

    with reviewed() as c:
        token = make_token()
        held = submit(c, token, target=image(GREEN))
        assert held["status"] == "pending_review"
        assert services.store.list_keys()  # the uploads are held for the reviewer
        with services.db.session() as s:
            q.get_task(s, task_id=held["task_id"]).updated_at = q.now() - timedelta(days=8)
        report = services.maintain()
        assert report.reviews_expired == [held["task_id"]]
        body = c.get(f"/api/v1/face/tasks/{held['task_id']}", headers=auth(token)).json()
        assert (body["status"], body["error"]["code"]) == ("rejected", "review_expired")
        assert services.store.list_keys() == []
