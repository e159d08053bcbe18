"""Cost of the content-safety stage per task with NudeNet 320n: source + target before the
engine and the output after it; and what one batched inference call for two images changes.

    .venv/bin/python bench/safety_speed.py

Target (issue 7): at most 150 ms per task for target + output on this CPU.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import load, median_ms, place

from facegate.safety import DEFAULT_THRESHOLDS, SafetyPolicy
from facegate.screening import ContentScreen
from facegate.vision.nsfw import NudeNetDetector, providers


def main() -> None:
    detector = NudeNetDetector()
    detector.setup()
    screen = ContentScreen(detector, SafetyPolicy(thresholds=DEFAULT_THRESHOLDS))
    source = load("astronaut.png")
    target = place(load("obama.jpg")[19:535, 240:756], (1920, 1080), (700, 280))
    output = target.copy()
    print(f"onnxruntime providers: {providers()}")
    one = median_ms(lambda: detector(target), runs=20)
    inputs = median_ms(lambda: screen.screen({"source": source, "target": target}), runs=20)
    out = median_ms(lambda: screen.screen({"output": output}), runs=20)
    print(f"one 1920x1080 image: {one:.1f} ms")
    print(
        f"per task: inputs (source + target) {inputs:.1f} ms + output {out:.1f} ms = "
        f"{inputs + out:.1f} ms; target + output alone ~{one + out:.1f} ms"
    )

    # one session.run with a batch of two (the model's batch axis is dynamic)
    from nudenet import nudenet as nn

    session = detector._session
    name = session.get_inputs()[0].name
    blobs = [nn._read_image(cv2.cvtColor(im, cv2.COLOR_RGB2BGR), 320)[0] for im in (target, output)]
    batch = np.concatenate(blobs, axis=0)

    def separate() -> None:
        for blob in blobs:
            session.run(None, {name: blob})

    sep = median_ms(separate, runs=20)
    bat = median_ms(lambda: session.run(None, {name: batch}), runs=20)
    print(
        f"inference only, two images: two calls {sep:.1f} ms, one batched call {bat:.1f} ms "
        f"({(sep - bat) / sep:+.0%} saved). Pre/post-processing is per image either way; "
        "and target and output are not available at the same time in a task (the output "
        "exists only after the engine), so batching only helps source + target."
    )


if __name__ == "__main__":
    main()
