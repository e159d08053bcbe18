"""Abuse limits: the shared bucket, and every limit against the real server subprocess."""

import httpx
import pytest

from facegate.db import make_database
from facegate.limits import LimitExceeded, check_rate
from helpers import encode, files, noise_image
from subprocesses import facegate_env, free_port, run_cli, start, stop, wait_http


def test_bucket_is_shared_between_processes(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'f.db'}"
    first, second = make_database(url), make_database(url)  # two API processes
    now = 1000.0
    for i in range(4):
        check_rate(first if i % 2 else second, key="k", rate=1.0, burst=4, now=now)
    with pytest.raises(LimitExceeded) as info:
        check_rate(first, key="k", rate=1.0, burst=4, now=now)
    assert info.value.code == "rate_limited"
    assert info.value.retry_after == 1
    check_rate(second, key="k", rate=1.0, burst=4, now=now + 1.01)  # refilled one token
    check_rate(first, key="other", rate=1.0, burst=4, now=now)  # buckets are per key


@pytest.fixture
def serve(tmp_path):
    procs = []

    def launch(**env_extra: str):
        port = free_port()
        env = facegate_env(tmp_path / "data", FACEGATE_PORT=str(port), **env_extra)
        proc = start(env, "serve", log=tmp_path / f"serve{port}.log")
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/health", any_answer=True)
        token = run_cli(env, "tokens", "create", "--name", "t").stdout.strip()
        return httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"})

    yield launch
    for proc in procs:
        stop(proc)


def post(http, seed: int):
    return http.post(
        "/api/v1/face/tasks",
        files=files(encode(noise_image(seed=seed)), encode(noise_image(seed=seed + 100))),
    )


pytestmark = pytest.mark.slow


def test_rate_limit_answers_429_with_retry_after(serve) -> None:
    http = serve(FACEGATE_RATE_LIMIT_PER_S="0.01", FACEGATE_RATE_LIMIT_BURST="3")
    codes = [http.get("/api/v1/face/tasks/0000000000000000").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    r = http.get("/api/v1/face/tasks/0000000000000000")
    assert r.json()["error"]["code"] == "rate_limited"
    assert int(r.headers["retry-after"]) >= 60


def test_daily_quota(serve) -> None:
    http = serve(FACEGATE_DAILY_QUOTA_PER_TOKEN="2")
    assert [post(http, i).status_code for i in range(2)] == [202, 202]
    r = post(http, 5)
    assert (r.status_code, r.json()["error"]["code"]) == (429, "quota_exceeded")
    assert int(r.headers["retry-after"]) > 0


def test_concurrent_task_cap(serve) -> None:
    http = serve(FACEGATE_MAX_CONCURRENT_TASKS_PER_TOKEN="1", FACEGATE_TEST_PROCESSOR_DELAY_S="3")
    assert post(http, 1).status_code == 202
    r = post(http, 2)
    assert (r.status_code, r.json()["error"]["code"]) == (429, "too_many_tasks")
    assert "retry-after" in r.headers


def test_queue_cap_answers_503(serve) -> None:
    http = serve(FACEGATE_MAX_QUEUE="1", FACEGATE_IN_PROCESS_WORKER="false")
    assert post(http, 1).status_code == 202
    r = post(http, 2)
    assert (r.status_code, r.json()["error"]["code"]) == (503, "queue_full")
    assert int(r.headers["retry-after"]) >= 1


def test_ip_allow_list(serve) -> None:
    http = serve(FACEGATE_ALLOWED_CIDRS='["10.0.0.0/8"]')
    r = http.get("/api/v1/face/tasks/0000000000000000")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "ip_not_allowed")
    assert http.get("/health").status_code == 403


def test_default_allow_list_admits_loopback(serve) -> None:
    http = serve()
    assert http.get("/health").status_code == 200  # we are on 127.0.0.1
