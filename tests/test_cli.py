"""The operator CLI as a subprocess: local swap goes through consent, safety and provenance."""

import json
import subprocess
import sys

import pytest

from facegate.provenance import watermark
from helpers import face_path

pytestmark = pytest.mark.slow


def cli(env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "facegate.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def env(tmp_path):
    from subprocesses import facegate_env

    e = facegate_env(tmp_path / "data")
    del e["FACEGATE_ENGINE"], e["FACEGATE_CONSENT_ENFORCEMENT"]  # the real defaults
    return e


def test_local_swap_needs_consent_and_marks_its_output(env, tmp_path) -> None:
    out = tmp_path / "out.jpg"
    refused = cli(
        env, "swap", str(face_path("obama.jpg")), str(face_path("biden.jpg")), "-o", str(out)
    )
    assert refused.returncode == 1 and "consent_required" in refused.stderr
    assert not out.exists()

    enrolled = cli(
        env,
        "subjects",
        "enroll",
        "--name",
        "O",
        "--photo",
        str(face_path("obama.jpg")),
        "--purpose",
        "test",
        "--jurisdiction",
        "EU",
        "--notice-version",
        "1",
        "--evidence-sha256",
        "a" * 64,
    )
    assert enrolled.returncode == 0, enrolled.stderr
    subject = json.loads(enrolled.stdout)["subject_id"]

    import numpy as np
    from PIL import Image

    source = tmp_path / "obama-mirrored.png"
    Image.open(face_path("obama.jpg")).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(source)
    done = cli(
        env, "swap", str(source), str(face_path("biden.jpg")), "-o", str(out), "--subject", subject
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["consent"] == {"enforcement": "biometric", "source": "matched"}
    reading = watermark.extract(np.asarray(Image.open(out).convert("RGB")))
    assert reading.found
    assert f"{reading.content_id:016x}" == report["provenance"]["watermark"]["content_id"]

    mismatch = cli(
        env,
        "swap",
        str(face_path("astronaut.png")),
        str(face_path("biden.jpg")),
        "-o",
        str(tmp_path / "x.jpg"),
        "--subject",
        subject,
    )
    assert mismatch.returncode == 1 and "consent_mismatch" in mismatch.stderr
    verify = cli(env, "audit", "verify")
    assert json.loads(verify.stdout)["ok"] is True
