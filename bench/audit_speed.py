"""Cost of one audit append (SQLite, WAL) and of verifying the chain.

    .venv/bin/python bench/audit_speed.py [--events 2000]

Target (issue 6): one append under 2 ms on SQLite.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from facegate.audit import Auditor
from facegate.db import make_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = make_database(f"sqlite:///{Path(tmp) / 'a.db'}")
        auditor = Auditor(db, Path(tmp) / "keys")
        auditor.record("warmup")
        samples = []
        for i in range(args.events):
            start = time.perf_counter()
            auditor.record(
                "task.succeeded",
                actor="0123456789ab",
                tenant="acme",
                client_ip="127.0.0.1",
                request_id="abcdef0123456789",
                objects={"task_id": f"{i:016x}"},
                details={"result_sha256": "0" * 64, "error_code": None},
            )
            samples.append((time.perf_counter() - start) * 1000)
        samples.sort()
        p95 = samples[int(0.95 * len(samples))]
        print(
            f"append: median {statistics.median(samples):.3f} ms, p95 {p95:.3f} ms "
            f"over {args.events} events"
        )
        start = time.perf_counter()
        result = auditor.verify()
        print(
            f"verify {result.count} events: {(time.perf_counter() - start) * 1000:.0f} ms "
            f"(ok={result.ok})"
        )
        start = time.perf_counter()
        auditor.checkpoint()
        print(
            f"signed checkpoint (includes a full verify): "
            f"{(time.perf_counter() - start) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
