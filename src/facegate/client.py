"""The Python client other programs import: ``FaceGateClient(base_url, token)``.

All network I/O goes through one ``httpx.Client`` (pass your own, e.g. with a test transport).
Errors from the service raise :class:`FaceGateAPIError` with its stable ``code``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

__all__ = ["FaceGateAPIError", "FaceGateClient"]

FINAL = {"succeeded", "failed", "rejected", "canceled", "pending_review"}


class FaceGateAPIError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def _bytes(value: bytes | str | Path) -> bytes:
    return value if isinstance(value, bytes) else Path(value).read_bytes()


class FaceGateClient:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        token: str = "",
        *,
        http: httpx.Client | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, headers=self.headers, **kwargs)
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
            except (ValueError, KeyError):
                error = {"code": "http_error", "message": response.text[:200]}
            raise FaceGateAPIError(response.status_code, error["code"], error["message"])
        return response

    def submit(
        self,
        source: bytes | str | Path,
        target: bytes | str | Path,
        *,
        source_subject_id: str,
        **options: Any,
    ) -> dict[str, Any]:
        files = {
            "source_image": ("source", _bytes(source)),
            "target_image": ("target", _bytes(target)),
        }
        data = {
            "source_subject_id": source_subject_id,
            **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in options.items()},
        }
        return self._call("POST", "/api/v1/face/tasks", files=files, data=data).json()

    def task(self, task_id: str) -> dict[str, Any]:
        return self._call("GET", f"/api/v1/face/tasks/{task_id}").json()

    def wait(self, task_id: str, *, timeout: float = 120.0, poll: float = 0.25) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            task = self.task(task_id)
            if task["status"] in FINAL or time.monotonic() > deadline:
                return task
            time.sleep(poll)

    def result(self, task_id: str) -> bytes:
        return self._call("GET", f"/api/v1/face/tasks/{task_id}/result").content

    def swap(
        self,
        source: bytes | str | Path,
        target: bytes | str | Path,
        *,
        source_subject_id: str,
        **options: Any,
    ) -> bytes:
        """Submit, wait, and return the output image; raise if the task did not succeed."""
        task = self.wait(
            self.submit(source, target, source_subject_id=source_subject_id, **options)["task_id"]
        )
        if task["status"] != "succeeded":
            error = task.get("error") or {"code": task["status"], "message": task["status"]}
            raise FaceGateAPIError(200, error["code"], error["message"])
        return self.result(task["task_id"])

    def verify(self, image: bytes | str | Path) -> dict[str, Any]:
        return self._call(
            "POST", "/api/v1/provenance/verify", files={"file": ("image", _bytes(image))}
        ).json()
