"""Crash safety under load: N tasks through a real API server and two worker processes while
workers and the server are killed (SIGKILL) at random and restarted.

Prints tasks submitted / succeeded / failed (with reason) / lost or stuck, and whether the
audit chain still verifies.

    .venv/bin/python bench/crash.py [--tasks 60] [--seed 1]

Target (issue 6): 0 lost, 0 stuck, chain verified.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image


def jpeg(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG")
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cli = [sys.executable, "-m", "facegate.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("FACEGATE_")}
        env.update(
            FACEGATE_DATA_DIR=tmp,
            FACEGATE_ENGINE="test-only",
            FACEGATE_CONSENT_ENFORCEMENT="off",
            FACEGATE_PORT=str(port),
            FACEGATE_IN_PROCESS_WORKER="false",
            FACEGATE_LEASE_S="1.5",
            FACEGATE_TEST_PROCESSOR_DELAY_S="0.4",
            FACEGATE_MAX_ATTEMPTS="4",
            FACEGATE_RATE_LIMIT_PER_S="1000",
            FACEGATE_RATE_LIMIT_BURST="1000",
            FACEGATE_MAX_CONCURRENT_TASKS_PER_TOKEN="1000",
        )
        token = subprocess.run(
            [*cli, "tokens", "create", "--name", "crash"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        log = open(Path(tmp) / "procs.log", "wb")  # noqa: SIM115

        def spawn(*what: str) -> subprocess.Popen[bytes]:
            return subprocess.Popen([*cli, *what], env=env, stdout=log, stderr=log)

        server = spawn("serve")
        workers = [spawn("worker"), spawn("worker")]
        base = f"http://127.0.0.1:{port}"
        http = httpx.Client(base_url=base, timeout=10, headers={"Authorization": f"Bearer {token}"})

        def wait_server() -> None:
            for _ in range(300):
                try:
                    http.get("/health")
                    return
                except httpx.HTTPError:
                    time.sleep(0.05)

        wait_server()
        submitted: list[str] = []
        kills = collections.Counter()
        for i in range(args.tasks):
            for _ in range(100):  # the server may be down for a moment
                try:
                    r = http.post(
                        "/api/v1/face/tasks",
                        files={
                            "source_image": ("s.jpg", jpeg(2 * i)),
                            "target_image": ("t.jpg", jpeg(2 * i + 1)),
                        },
                        headers={"Idempotency-Key": f"crash-{i}"},
                    )
                    if r.status_code == 202:
                        submitted.append(r.json()["task_id"])
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            roll = rng.random()
            if roll < 0.15:
                victim = rng.randrange(len(workers))
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait()
                workers[victim] = spawn("worker")
                kills["worker"] += 1
            elif roll < 0.20:
                server.send_signal(signal.SIGKILL)
                server.wait()
                server = spawn("serve")
                wait_server()
                kills["server"] += 1
            time.sleep(rng.uniform(0.0, 0.15))

        deadline = time.time() + 180
        final = {"succeeded", "failed", "rejected", "canceled"}
        states: dict[str, dict] = {}
        while time.time() < deadline:
            subprocess.run([*cli, "cleanup"], env=env, capture_output=True)  # reap leases now
            states = {}
            for tid in submitted:
                try:
                    states[tid] = http.get(f"/api/v1/face/tasks/{tid}").json()
                except httpx.HTTPError:
                    states[tid] = {"status": "unknown"}
            if all(s.get("status") in final for s in states.values()):
                break
            time.sleep(1.0)
        whole, broken = 0, 0
        for tid, state in states.items():
            if state.get("status") != "succeeded":
                continue
            data = http.get(f"/api/v1/face/tasks/{tid}/result").content
            try:
                Image.open(io.BytesIO(data)).load()
                ok = hashlib.sha256(data).hexdigest() == state.get("result_sha256")
            except OSError:
                ok = False
            whole, broken = whole + ok, broken + (not ok)
        for proc in (server, *workers):
            proc.send_signal(signal.SIGTERM)
        for proc in (server, *workers):
            proc.wait(timeout=30)
        verify = subprocess.run([*cli, "audit", "verify"], env=env, capture_output=True, text=True)
        chain = json.loads(verify.stdout)
        by_status = collections.Counter(s.get("status") for s in states.values())
        reasons = collections.Counter(
            (s.get("error") or {}).get("code")
            for s in states.values()
            if s.get("status") == "failed"
        )
        lost = args.tasks - len(submitted)
        stuck = sum(1 for s in states.values() if s.get("status") not in final)
        print(f"kills: {dict(kills)}")
        print(
            f"submitted {len(submitted)} / succeeded {by_status['succeeded']} / failed "
            f"{by_status['failed']} {dict(reasons)} / lost {lost} / stuck {stuck}"
        )
        print(f"results served whole (decode + sha256): {whole}, broken: {broken}")
        print(f"audit chain: ok={chain['ok']} events={chain['count']}")


if __name__ == "__main__":
    main()
