"""A worker killed mid-task: the task is requeued (bounded) or failed with a reason."""

import time

import pytest

from facegate.db import queries as q
from facegate.submission import Submission, parse_swap_options, submit_task
from helpers import encode, noise_image
from subprocesses import facegate_env, start, stop

pytestmark = pytest.mark.slow


def _submit(services) -> str:
    task, _ = submit_task(
        services,
        Submission(
            tenant="acme",
            token_key_id="000000000000",
            source_bytes=encode(noise_image(seed=1)),
            target_bytes=encode(noise_image(seed=2)),
            options=parse_swap_options(),
        ),
    )
    return task.id


def _status(services, task_id):
    with services.db.session() as s:
        return q.get_task(s, task_id=task_id)


def _wait(services, task_id, statuses, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = _status(services, task_id)
        if task.status in statuses:
            return task
        time.sleep(0.05)
    raise AssertionError(f"task stayed {task.status}")


def test_killed_worker_task_is_requeued_and_completed(settings, services, tmp_path) -> None:
    task_id = _submit(services)
    slow = facegate_env(
        settings.data_dir, FACEGATE_TEST_PROCESSOR_DELAY_S="60", FACEGATE_LEASE_S="1"
    )
    proc = start(slow, "worker", log=tmp_path / "worker1.log")
    try:
        running = _wait(services, task_id, {"running"})
        assert running.attempts == 1
        proc.kill()  # SIGKILL: no chance to clean up
        proc.wait()
    finally:
        stop(proc)
    time.sleep(1.5)  # the 1 s lease runs out
    report = services.maintain()
    assert report.requeued == [task_id]
    assert _status(services, task_id).status == "queued"

    fast = facegate_env(settings.data_dir, FACEGATE_LEASE_S="1")
    proc = start(fast, "worker", log=tmp_path / "worker2.log")
    try:
        done = _wait(services, task_id, {"succeeded", "failed"})
    finally:
        stop(proc)
    assert done.status == "succeeded", (tmp_path / "worker2.log").read_text()
    assert done.attempts == 2
    assert done.source_key is None and done.target_key is None


def test_task_fails_with_reason_after_max_attempts(settings, services, tmp_path) -> None:
    services.settings.max_attempts = 1
    task_id = _submit(services)
    env = facegate_env(
        settings.data_dir, FACEGATE_TEST_PROCESSOR_DELAY_S="60", FACEGATE_LEASE_S="1"
    )
    proc = start(env, "worker", log=tmp_path / "worker.log")
    try:
        _wait(services, task_id, {"running"})
        proc.kill()
        proc.wait()
    finally:
        stop(proc)
    time.sleep(1.5)
    report = services.maintain()
    assert report.failed == [task_id]
    task = _status(services, task_id)
    assert task.status == "failed"
    assert task.error_code == "worker_lost"
    assert "stopped responding" in task.error_message
    assert [k for k in services.store.list_keys() if k.startswith("uploads/")] == []


def test_live_lease_is_not_reaped(settings, services, tmp_path) -> None:
    task_id = _submit(services)
    env = facegate_env(settings.data_dir, FACEGATE_TEST_PROCESSOR_DELAY_S="4", FACEGATE_LEASE_S="1")
    proc = start(env, "worker", log=tmp_path / "worker.log")
    try:
        _wait(services, task_id, {"running"})
        time.sleep(2.0)  # twice the lease: only the heartbeat keeps it alive
        report = services.maintain()
        assert report.requeued == [] and report.failed == []
        assert _wait(services, task_id, {"succeeded"}).attempts == 1
    finally:
        stop(proc)
