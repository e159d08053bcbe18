"""Latency and throughput of the API + queue path with the test-only processor, at 1, 4 and 16
concurrent clients, next to the in-process cost of decode + validate + encode.

Every safety default stays on (NSFW check, provenance marks, audit). The overhead of the API
and the queue is therefore measured per request as end-to-end latency minus the processing
stages the task reports about itself (decode, load, safety, engine, provenance, store).

Starts a real ``facegate serve`` (SQLite, in-process worker) in a temporary folder and calls
``POST /api/v1/face/process`` (submit, queue, run, wait) with a 512 px source and a 1920x1080
JPEG target.

    .venv/bin/python bench/api_overhead.py [--requests 40]

Target (issue 2): the API and queue add at most 15 ms at p50 over the processing itself with
one client.
"""

from __future__ import annotations

import argparse
import collections
import io
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from _common import load, median_ms, place

from facegate.images import decode_image, encode_image

ALLOWED = ["JPEG", "PNG", "WEBP"]


def jpeg(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def in_process_cost(source: bytes, target: bytes) -> tuple[float, float]:
    def one() -> None:
        t = decode_image(target, allowed_formats=ALLOWED, max_pixels=40_000_000)
        encode_image(t.pixels, "JPEG", quality=95)

    def pair() -> None:
        decode_image(source, allowed_formats=ALLOWED, max_pixels=40_000_000)
        t = decode_image(target, allowed_formats=ALLOWED, max_pixels=40_000_000)
        encode_image(t.pixels.copy(), "JPEG", quality=95)

    return median_ms(one, runs=20), median_ms(pair, runs=20)


SUBJECT = ""
ERROR_CODES: collections.Counter[str] = collections.Counter()
STAGES = ("decode", "load", "consent", "safety", "engine", "provenance", "store")


def run_clients(
    base: str, token: str, clients: int, total: int, source: bytes, target: bytes
) -> tuple[list[float], float, int, list[float]]:
    latencies: list[float] = []
    overheads: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))

    def client() -> None:
        nonlocal errors
        with httpx.Client(
            base_url=base, timeout=60, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            while True:
                with lock:
                    if next(counter, None) is None:
                        return
                files = {"source_image": ("s.jpg", source), "target_image": ("t.jpg", target)}
                start = time.perf_counter()
                r = http.post(
                    "/api/v1/face/process", files=files, data={"source_subject_id": SUBJECT}
                )
                elapsed = (time.perf_counter() - start) * 1000
                ok = r.status_code == 200 and r.json()["status"] == "succeeded"
                processing = 0.0
                if ok:
                    report = http.get(r.json()["status_url"]).json()["report"]
                    processing = sum(report["timings_ms"].get(k, 0.0) for k in STAGES)
                with lock:
                    if ok:
                        latencies.append(elapsed)
                        overheads.append(elapsed - processing)
                    else:
                        errors += 1
                        ERROR_CODES[f"{r.status_code} {r.text[:60]}"] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - start, errors, overheads


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()

    source = jpeg(load("astronaut.png"))
    target = jpeg(place(load("obama.jpg")[19:535, 240:756], (1920, 1080), (700, 280)))
    one, pair = in_process_cost(source, target)

    with tempfile.TemporaryDirectory() as tmp:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("FACEGATE_")}
        env.update(
            FACEGATE_DATA_DIR=tmp,
            FACEGATE_ENGINE="test-only",
            FACEGATE_PORT=str(port),
            FACEGATE_RATE_LIMIT_PER_S="1000",
            # one token plays 16 clients here: lift the per-token abuse limit only
            FACEGATE_MAX_CONCURRENT_TASKS_PER_TOKEN="100",
            FACEGATE_RATE_LIMIT_BURST="1000",
        )
        cli = [sys.executable, "-m", "facegate.cli"]
        token = subprocess.run(
            [*cli, "tokens", "create", "--name", "bench", "--scopes", "process,subjects"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        server = subprocess.Popen(
            [*cli, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{base}/ready").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            # consent stays on: the source person is enrolled like any caller would do it
            subject = httpx.post(
                f"{base}/api/v1/subjects",
                headers={"Authorization": f"Bearer {token}"},
                data={
                    "display_name": "bench",
                    "scope": "swap_source",
                    "purpose": "benchmark",
                    "jurisdiction": "EU",
                    "collection_method": "signed_form",
                    "notice_version": "1",
                    "evidence_sha256": "0" * 64,
                },
                files=[
                    ("photos", ("a.jpg", source)),
                    (
                        "photos",
                        ("b.jpg", jpeg(np.ascontiguousarray(load("astronaut.png")[:, ::-1]))),
                    ),
                ],
                timeout=60,
            ).json()
            global SUBJECT
            SUBJECT = subject["subject_id"]
            run_clients(base, token, 1, 3, source, target)  # warm-up
            print(
                f"source {len(source) // 1024} KiB 512x512 JPEG, target {len(target) // 1024} "
                f"KiB 1920x1080 JPEG; test-only processor; consent, NSFW, provenance, audit on"
            )
            print(
                f"in-process decode+validate+encode of the 1080p JPEG: {one:.1f} ms; "
                f"of the pair as a task does it (decode both, encode output): {pair:.1f} ms\n"
            )
            print(
                f"{'clients':>7s} {'p50 ms':>8s} {'p95 ms':>8s} {'req/s':>7s} {'errors':>6s} "
                f"{'overhead p50':>13s} {'overhead p95':>13s}"
            )
            for clients in (1, 4, 16):
                lat, wall, errors, over = run_clients(
                    base, token, clients, args.requests, source, target
                )
                p50 = statistics.median(lat)
                p95 = float(np.percentile(lat, 95))
                print(
                    f"{clients:7d} {p50:8.1f} {p95:8.1f} {len(lat) / wall:7.1f} {errors:6d} "
                    f"{statistics.median(over):13.1f} {float(np.percentile(over, 95)):13.1f}"
                )
            if ERROR_CODES:
                print(f"not succeeded: {dict(ERROR_CODES)}")
            print(
                "overhead = latency - the task's own processing stages (API parsing, database, "
                "queue hand-off, waiting for the worker, audit appends)"
            )
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
