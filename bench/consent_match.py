"""Genuine / impostor distances of the consent match on the fixtures and generated variants
(flips, crops, brightness, JPEG, rotation, downscale); false accept / reject rates at the
configured threshold; the time of one verification with the subject's templates cached.

    .venv/bin/python bench/consent_match.py
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from _common import FIXTURES, load

from facegate.biometrics import Biometrics
from facegate.settings import Settings
from facegate.vision.identity import template_distance


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def variants(image: np.ndarray, box) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    h, w = image.shape[:2]
    x, y, bw, bh = box.to_list()
    cx, cy = x + bw // 2, y + bh // 2
    out = {}
    for scale in (1.3, 2.5):
        half = int(max(bw, bh) * scale / 2)
        out[f"crop{scale}"] = np.ascontiguousarray(
            image[max(0, cy - half) : cy + half, max(0, cx - half) : cx + half]
        )
    out["flip"] = np.ascontiguousarray(image[:, ::-1])
    out["dark"] = cv2.convertScaleAbs(image, alpha=0.6, beta=0)
    out["bright"] = cv2.convertScaleAbs(image, alpha=1.3, beta=25)
    out["jpeg30"] = jpeg(image, 30)
    out["jpeg60"] = jpeg(image, 60)
    for angle in (-12, 12):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        out[f"rot{angle:+d}"] = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    out["half"] = cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    return out


def main() -> None:
    threshold = Settings(_env_file=None).consent_match_threshold  # type: ignore[call-arg]
    bio = Biometrics()
    bio.setup()
    enrolled: dict[str, np.ndarray] = {}
    probes: dict[str, list[tuple[str, np.ndarray]]] = {}
    for name in FIXTURES:
        image = load(name)
        det = bio.detect(image)[0]
        enrolled[name] = bio.sample(image, det).template
        probes[name] = []
        for label, variant in variants(image, det.box).items():
            found = bio.detect(variant)
            if len(found) != 1:
                print(f"  {name}/{label}: {len(found)} faces detected, skipped")
                continue
            probes[name].append((label, bio.sample(variant, found[0]).template))

    genuine = [template_distance(t, enrolled[n]) for n in FIXTURES for _, t in probes[n]]
    impostor = [
        template_distance(t, enrolled[m])
        for n in FIXTURES
        for _, t in probes[n]
        for m in FIXTURES
        if m != n
    ]

    def describe(values: list[float]) -> str:
        q = np.percentile(values, [0, 25, 50, 75, 100])
        return (
            f"n={len(values):3d} min {q[0]:.3f} p25 {q[1]:.3f} median {q[2]:.3f} "
            f"p75 {q[3]:.3f} max {q[4]:.3f}"
        )

    print(f"genuine  (variant vs own enrolment):     {describe(genuine)}")
    print(f"impostor (variant vs other enrolments):  {describe(impostor)}")
    print("\nthreshold   FAR      FRR")
    for t in (0.4, 0.45, threshold, 0.55, 0.6):
        far = sum(d < t for d in impostor) / len(impostor)
        frr = sum(d >= t for d in genuine) / len(genuine)
        mark = "  <- FACEGATE_CONSENT_MATCH_THRESHOLD" if t == threshold else ""
        print(f"{t:9.2f} {far:6.1%} {frr:8.1%}{mark}")
    margin = min(impostor) - max(genuine)
    print(f"\nmargin between the worst genuine and the closest impostor: {margin:.3f}")

    source = load("obama.jpg")
    cached = [enrolled["obama.jpg"]]

    def verify() -> bool:
        det = bio.detect(source)
        sample = bio.sample(source, det[0])
        return bio.best_distance(sample.template, cached) < threshold

    verify()
    times = []
    for _ in range(10):
        start = time.perf_counter()
        verify()
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"one verification (detect + template + compare, {source.shape[1]}x{source.shape[0]} "
        f"source, templates cached): median {statistics.median(times):.0f} ms"
    )


if __name__ == "__main__":
    main()
