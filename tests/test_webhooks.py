"""Webhooks: SSRF guard, signature, retries against a local receiver that fails first."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from facegate.db.tables import WebhookAttempt
from facegate.errors import ValidationError
from facegate.webhooks import tenant_secret, validate_callback_url
from helpers import auth, encode, files, noise_image


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/x", "invalid_callback_url"),
        ("http://user:pw@8.8.8.8/x", "invalid_callback_url"),
        ("http://127.0.0.1:9/hook", "callback_url_forbidden"),
        ("http://localhost/hook", "callback_url_forbidden"),
        ("http://10.1.2.3/hook", "callback_url_forbidden"),
        ("http://192.168.0.10/hook", "callback_url_forbidden"),
        ("http://169.254.169.254/latest/meta-data", "callback_url_forbidden"),
        ("http://[::1]/hook", "callback_url_forbidden"),
        ("http://0.0.0.0/hook", "callback_url_forbidden"),
    ],
)
def test_forbidden_callback_urls(settings, url, code) -> None:
    with pytest.raises(ValidationError) as info:
        validate_callback_url(url, settings)
    assert info.value.code == code


def test_allow_list_and_public_addresses(settings) -> None:
    assert validate_callback_url("https://93.184.216.34/hook", settings)
    settings.webhook_allowed_cidrs = ["127.0.0.0/8"]
    assert validate_callback_url("http://127.0.0.1:8080/hook", settings)
    with pytest.raises(ValidationError):
        validate_callback_url("http://10.0.0.1/hook", settings)


def test_forbidden_callback_is_refused_at_submission(client, make_token, services) -> None:
    r = client.post(
        "/api/v1/face/tasks",
        headers=auth(make_token()),
        files=files(encode(noise_image(seed=1)), encode(noise_image(seed=2))),
        data={"callback_url": "http://127.0.0.1:1/x"},
    )
    assert (r.status_code, r.json()["error"]["code"]) == (422, "callback_url_forbidden")
    assert services.store.list_keys() == []


class _Receiver(BaseHTTPRequestHandler):
    calls: list = []  # noqa: RUF012
    fail_first = 1

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append((dict(self.headers), body))
        status = 500 if len(type(self).calls) <= type(self).fail_first else 204
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args) -> None:
        return None


@pytest.fixture
def receiver():
    _Receiver.calls = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", _Receiver.calls
    server.shutdown()


def test_signed_and_retried_until_delivered(client, make_token, services, receiver) -> None:
    url, calls = receiver
    services.settings.webhook_allowed_cidrs = ["127.0.0.0/8"]
    services.settings.webhook_backoff_s = 0.3
    token = make_token(tenant="acme")
    r = client.post(
        "/api/v1/face/tasks",
        headers=auth(token),
        files=files(encode(noise_image(seed=1)), encode(noise_image(seed=2))),
        data={"callback_url": url},
    )
    task_id = r.json()["task_id"]
    deadline = time.monotonic() + 20
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(calls) == 2, "the failed first delivery was not retried"
    headers, body = calls[1]
    payload = json.loads(body)
    assert payload["task_id"] == task_id and payload["status"] == "succeeded"
    stamp, mac = (part.split("=", 1)[1] for part in headers["X-FaceGate-Signature"].split(","))
    secret = tenant_secret(services.settings, "acme")
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    assert hmac.compare_digest(mac, expected.hexdigest())
    assert secret != tenant_secret(services.settings, "globex")
    time.sleep(0.2)
    with services.db.session() as s:
        attempts = (
            s.query(WebhookAttempt)
            .filter_by(task_id=task_id)
            .order_by(WebhookAttempt.attempt)
            .all()
        )
        assert [(a.attempt, a.status_code, a.delivered) for a in attempts] == [
            (1, 500, False),
            (2, 204, True),
        ]


def test_a_canceled_task_is_delivered_too(settings, services, make_token, receiver) -> None:
    from facegate.api import create_app
    from helpers import loopback_client

    url, calls = receiver
    _Receiver.fail_first = 0
    settings.webhook_allowed_cidrs = ["127.0.0.0/8"]
    settings.test_processor_delay_s = 1.0  # the one worker thread is busy with the first task
    token = make_token()
    try:
        with loopback_client(create_app(settings, services=services)) as c:
            c.post(
                "/api/v1/face/tasks",
                headers=auth(token),
                files=files(encode(noise_image(seed=1)), encode(noise_image(seed=2))),
            )
            r = c.post(
                "/api/v1/face/tasks",
                headers=auth(token),
                files=files(encode(noise_image(seed=3)), encode(noise_image(seed=4))),
                data={"callback_url": url},
            )
            task_id = r.json()["task_id"]
            assert (
                c.delete(f"/api/v1/face/tasks/{task_id}", headers=auth(token)).json()["status"]
                == "canceled"
            )
            deadline = time.monotonic() + 20
            while not calls and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        _Receiver.fail_first = 1
    assert calls, "no webhook for the canceled task"
    payload = json.loads(calls[0][1])
    assert (payload["task_id"], payload["status"]) == (task_id, "canceled")
