"""Per-stage medians of the classic engine on a 1920x1080 target with one face and with four.

    .venv/bin/python bench/swap_speed.py

Target (issue 3): one face swapped (landmarks of both images + warp + colour + blend) in at most
80 ms at the median, independent of the image size.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import load, median_ms, place

from facegate.swap.base import FaceSelection, SwapOptions
from facegate.swap.classic import ClassicSwapEngine, swap_face


def frames() -> dict[str, np.ndarray]:
    portrait = load("obama.jpg")[19:535, 240:756]  # 516 px around the face
    one = place(portrait, (1920, 1080), (700, 280), scale=1.0)
    four = np.full((1080, 1920, 3), 110, np.uint8)
    heads = [
        load("obama.jpg")[19:535, 240:756],
        load("biden.jpg")[110:670, 311:871],
        load("astronaut.png")[6:234, 112:340],
        load("obama.jpg")[19:535, 240:756][:, ::-1],
    ]
    for i, img in enumerate(heads):
        tile = cv2.resize(np.ascontiguousarray(img), (420, 420))
        four[330 : 330 + 420, 40 + i * 470 : 40 + i * 470 + 420] = tile
    small = place(portrait, (640, 640), (62, 62))
    return {"512px frame": small, "1920x1080, 1 face": one, "1920x1080, 4 faces": four}


def main() -> None:
    engine = ClassicSwapEngine()
    engine.setup()
    source = load("astronaut.png")
    src_face = engine.find_faces(source)[0]
    print(
        f"{'frame':22s} {'detect':>7s} {'lmk/face':>8s} {'swap/face':>9s} "
        f"{'1 face*':>8s} {'process':>8s}  faces"
    )
    for label, target in frames().items():
        faces = engine.find_faces(target)
        face = max(faces, key=lambda f: f.box.area)
        detect = median_ms(lambda t=target: engine.detector(t))
        lmk = median_ms(lambda t=target, f=face: engine.mesher(t, f.box, f.score))
        lmk_src = median_ms(lambda: engine.mesher(source, src_face.box, src_face.score))
        swap = median_ms(lambda t=target, f=face: swap_face(source, src_face, t, f))
        sel = FaceSelection("all") if len(faces) > 1 else FaceSelection("largest")
        process = median_ms(
            lambda t=target, s=sel: engine.process(source, t, SwapOptions(selection=s)), runs=5
        )
        one_face = lmk_src + lmk + swap
        print(
            f"{label:22s} {detect:7.1f} {lmk:8.1f} {swap:9.1f} {one_face:8.1f} {process:8.1f}"
            f"  {len(faces)}"
        )
    print(
        "\n* 1 face = landmarks of the source + landmarks of the target face + warp/colour/blend"
        " (the issue's 80 ms budget); 'process' = the whole engine call incl. detection of both"
        " images and every selected face. Medians of 10 runs (process: 5), milliseconds."
    )


if __name__ == "__main__":
    main()
