"""The real ``facegate serve`` as a subprocess, spoken to over real HTTP."""

import socket
import time

import httpx
import pytest

from helpers import encode, files, noise_image
from subprocesses import facegate_env, free_port, run_cli, start, stop, wait_http

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = facegate_env(tmp_path / "data", FACEGATE_PORT=str(port))
    proc = start(env, "serve", log=tmp_path / "serve.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/ready")
        yield base, env, proc, tmp_path / "serve.log"
    finally:
        stop(proc)


def test_cli_token_and_task_over_http(server) -> None:
    base, env, _, log = server
    token = run_cli(env, "tokens", "create", "--name", "ci", "--scopes", "process").stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        r = http.post(
            "/api/v1/face/tasks",
            files=files(encode(noise_image(seed=1)), encode(noise_image(seed=2))),
        )
        assert r.status_code == 202, r.text
        status_url = r.json()["status_url"]
        assert status_url.startswith(base)
        deadline = time.monotonic() + 30
        while (body := http.get(status_url).json())["status"] in {"queued", "running"}:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert body["status"] == "succeeded"
        assert http.get(body["result_url"]).headers["content-type"] == "image/jpeg"
    assert "listening on http://127.0.0.1" in log.read_text()

    listed = run_cli(env, "tokens", "list").stdout
    assert '"name": "ci"' in listed and token.split("_", 2)[2] not in listed
    run_cli(env, "tokens", "revoke", token.split("_")[1])
    assert httpx.get(status_url, headers=headers).status_code == 403


def test_oversized_body_is_refused_before_it_is_sent(server) -> None:
    base, *_ = server
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/face/tasks HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=zz\r\n"
            b"Content-Length: 999999999\r\n\r\n"
        )
        reply = b""
        while chunk := sock.recv(4096):  # the server answers and closes without reading
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413")
    assert b"request_too_large" in reply


def test_sigterm_stops_the_server_gracefully(server) -> None:
    _, _, proc, log = server
    proc.terminate()
    # uvicorn shuts down, then re-raises the signal it captured: -15 is its graceful exit
    assert proc.wait(timeout=20) in {0, -15}
    assert "Traceback" not in log.read_text()
