"""Swap quality over every ordered pair of fixture faces, and their flips and rotations.

Prints, per pair and in summary: (a) identity transfer with dlib's ResNet descriptor,
(b) expression/pose kept (landmark error vs the target / inter-ocular distance), (c) PSNR vs
the target outside the dilated face region, (d) a seam measure (gradient energy on the mask
border of the output relative to the target's). Saves source | target | output strips under
bench/out/.

    .venv/bin/python bench/swap_quality.py [--shape 0.5] [--blend laplacian|alpha]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from _common import FIXTURES, OUT, load

from facegate.swap.base import SwapOptions
from facegate.swap.classic import ClassicSwapEngine
from facegate.swap.mesh import FACE_OVAL
from facegate.vision.identity import IdentityEncoder, template_distance


def variants(image: np.ndarray) -> dict[str, np.ndarray]:
    h, w = image.shape[:2]
    out = {"orig": image, "flip": np.ascontiguousarray(image[:, ::-1])}
    for angle in (-15, 15):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        out[f"rot{angle:+d}"] = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    return out


def face_region(landmarks: np.ndarray, shape: tuple[int, int], grow: float) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(landmarks[FACE_OVAL, :2]).astype(np.int32)], 255)
    size = int(np.linalg.norm(landmarks[33, :2] - landmarks[263, :2]) * grow) | 1
    if size > 1:
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    return mask > 0


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def seam_ratio(out: np.ndarray, target: np.ndarray, landmarks: np.ndarray) -> float:
    """Gradient energy on a ring around the face outline, output / target (1.0 = no seam)."""
    inner = face_region(landmarks, out.shape[:2], 0.0)
    ring = face_region(landmarks, out.shape[:2], 0.25) & ~inner
    ring |= inner & ~cv2.erode(inner.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)

    def grad(img: np.ndarray) -> np.ndarray:
        grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))

    return float(grad(out)[ring].mean() / (grad(target)[ring].mean() + 1e-6))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", type=float, default=None)
    parser.add_argument("--blend", default=None)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()

    engine = ClassicSwapEngine(**({"blend": args.blend} if args.blend else {}))
    engine.setup()
    encoder = IdentityEncoder()
    encoder.setup()
    options = SwapOptions() if args.shape is None else SwapOptions(shape=args.shape)
    OUT.mkdir(parents=True, exist_ok=True)

    images = {name: load(name) for name in FIXTURES}
    rows = []
    for src_name in FIXTURES:
        source = images[src_name]
        src_face = engine.find_faces(source)[0]
        src_t = encoder(source, src_face.box)
        for tgt_name in FIXTURES:
            if tgt_name == src_name:
                continue
            for variant, target in variants(images[tgt_name]).items():
                tgt_face = max(engine.find_faces(target), key=lambda f: f.box.area)
                tgt_t = encoder(target, tgt_face.box)
                out = engine.process(source, target, options).image
                out_faces = engine.find_faces(out)
                out_face = max(out_faces, key=lambda f: f.box.iou(tgt_face.box))
                out_t = encoder(out, out_face.box)
                lm_err = float(
                    np.mean(
                        np.linalg.norm(
                            out_face.landmarks[:468, :2] - tgt_face.landmarks[:468, :2], axis=1
                        )
                    )
                    / tgt_face.interocular
                )
                outside = ~face_region(tgt_face.landmarks, target.shape[:2], 0.6)
                row = {
                    "pair": f"{src_name[:-4]}->{tgt_name[:-4]}/{variant}",
                    "out_src": template_distance(out_t, src_t),
                    "out_tgt": template_distance(out_t, tgt_t),
                    "src_tgt": template_distance(src_t, tgt_t),
                    "landmark_err": lm_err,
                    "psnr_outside": psnr(out[outside], target[outside]),
                    "seam": seam_ratio(out, target, tgt_face.landmarks),
                }
                rows.append(row)
                if not args.no_save:
                    strip = [
                        cv2.resize(im, (360, int(360 * im.shape[0] / im.shape[1])))[:480]
                        for im in (source, target, out)
                    ]
                    hmax = max(s.shape[0] for s in strip)
                    strip = [np.pad(s, ((0, hmax - s.shape[0]), (0, 0), (0, 0))) for s in strip]
                    Image.fromarray(np.hstack(strip)).save(
                        OUT / f"swap_{row['pair'].replace('/', '_').replace('->', '_to_')}.jpg"
                    )

    print(
        f"{'pair':34s} {'out~src':>8s} {'out~tgt':>8s} {'src~tgt':>8s} {'lm_err':>7s} "
        f"{'psnr_out':>8s} {'seam':>5s}"
    )
    for r in rows:
        print(
            f"{r['pair']:34s} {r['out_src']:8.3f} {r['out_tgt']:8.3f} {r['src_tgt']:8.3f} "
            f"{r['landmark_err']:7.3f} {r['psnr_outside']:8.1f} {r['seam']:5.2f}"
        )
    n = len(rows)
    closer = sum(r["out_src"] < r["out_tgt"] for r in rows)
    same = sum(r["out_src"] < 0.6 for r in rows)
    print(f"\nshape={options.shape} blend={engine.blend} pairs={n}")
    print(
        f"(a) median out~src {statistics.median(r['out_src'] for r in rows):.3f}, "
        f"median out~tgt {statistics.median(r['out_tgt'] for r in rows):.3f}; "
        f"out closer to source in {closer}/{n}; 'the source person' (<0.6) in {same}/{n}"
    )
    print(
        f"(b) landmark error / inter-ocular: median "
        f"{statistics.median(r['landmark_err'] for r in rows):.3f}, "
        f"max {max(r['landmark_err'] for r in rows):.3f}"
    )
    finite = [r["psnr_outside"] for r in rows if np.isfinite(r["psnr_outside"])]
    print(
        f"(c) PSNR outside the dilated face region: min "
        f"{min(finite) if finite else float('inf'):.1f} dB "
        f"({n - len(finite)}/{n} pairs bit-identical outside)"
    )
    print(
        f"(d) seam (gradient on the border ring, output/target): median "
        f"{statistics.median(r['seam'] for r in rows):.2f}, max {max(r['seam'] for r in rows):.2f}"
    )


if __name__ == "__main__":
    main()
