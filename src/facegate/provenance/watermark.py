"""Invisible watermark carrying a 64-bit content id, robust to JPEG and resizing.

Method (DWT-DCT-SVD on a fixed canvas): the luma is downscaled to 512x512, its Haar DWT
approximation band (256x256) is cut into 4096 blocks of 4x4; each block's DCT has its largest
singular value quantised (QIM, step ``STRENGTH``) to carry one bit. Only the *difference* this
makes on the canvas is upscaled and added to the full-size image, so any resolution costs the
same. The 80-bit message (64-bit id + CRC-16) is spread over all blocks in a keyed order,
about 51 copies of each bit, and read back by majority vote; a result counts only when the
CRC holds *and* the votes agree strongly, so unmarked images are not "found".
"""

from __future__ import annotations

import binascii
import itertools
from dataclasses import dataclass

import cv2
import numpy as np
import pywt

__all__ = ["WatermarkReading", "embed", "extract"]

CANVAS = 512
BLOCK = 4
STRENGTH = 24.0
MESSAGE_BITS = 80
MIN_AGREEMENT = 0.62  # mean share of votes for the winning bit; unmarked images sit near 0.5
CORRECTABLE_FROM = 6  # candidates for soft-decision correction
_KEY = 0xFACE6A7E


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.sqrt(2.0 / n) * np.cos(np.pi * (2 * i + 1) * k / (2 * n))
    m[0] /= np.sqrt(2.0)
    return m


_D = _dct_matrix(BLOCK)
_BLOCKS = (CANVAS // 2 // BLOCK) ** 2  # 4096
_ORDER = np.random.default_rng(_KEY).permutation(_BLOCKS)
_BIT_OF_BLOCK = np.empty(_BLOCKS, dtype=np.int64)
_BIT_OF_BLOCK[_ORDER] = np.arange(_BLOCKS) % MESSAGE_BITS


def _message_bits(content_id: int) -> np.ndarray:
    payload = int(content_id).to_bytes(8, "big")
    crc = binascii.crc_hqx(payload, 0xFFFF)
    value = (int(content_id) << 16) | crc
    return np.array(
        [(value >> (MESSAGE_BITS - 1 - i)) & 1 for i in range(MESSAGE_BITS)], dtype=np.int64
    )


def _luma_canvas(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ycc = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    canvas = cv2.resize(ycc[:, :, 0], (CANVAS, CANVAS), interpolation=cv2.INTER_AREA)
    return ycc, canvas


def _blocks(band: np.ndarray) -> np.ndarray:
    n = band.shape[0] // BLOCK
    return band.reshape(n, BLOCK, n, BLOCK).transpose(0, 2, 1, 3).reshape(-1, BLOCK, BLOCK)


def _unblocks(blocks: np.ndarray) -> np.ndarray:
    n = int(np.sqrt(blocks.shape[0]))
    return blocks.reshape(n, n, BLOCK, BLOCK).transpose(0, 2, 1, 3).reshape(n * BLOCK, n * BLOCK)


def _singular_values(canvas: np.ndarray):  # type: ignore[no-untyped-def]
    ll, details = pywt.dwt2(canvas.astype(np.float64), "haar")
    coeffs = _D @ _blocks(ll) @ _D.T
    u, s, vt = np.linalg.svd(coeffs)
    return ll, details, u, s, vt


def embed(image: np.ndarray, content_id: int) -> np.ndarray:
    """Return a marked copy of an (H, W, 3) uint8 RGB image."""
    ycc, canvas = _luma_canvas(image)
    _, details, u, s, vt = _singular_values(canvas)
    bits = _message_bits(content_id)[_BIT_OF_BLOCK]
    top = s[:, 0]
    base = np.floor(top / STRENGTH)
    s[:, 0] = (base + np.where(bits == 1, 0.75, 0.25)) * STRENGTH
    coeffs = u @ (s[:, :, None] * vt)
    ll = _unblocks(_D.T @ coeffs @ _D)
    marked = pywt.idwt2((ll, details), "haar")
    diff = (marked - canvas).astype(np.float32)
    h, w = image.shape[:2]
    ycc[:, :, 0] += cv2.resize(diff, (w, h), interpolation=cv2.INTER_LINEAR)
    out = np.clip(ycc, 0, 255).round().astype(np.uint8)
    return cv2.cvtColor(out, cv2.COLOR_YCrCb2RGB)


def _crc_ok(bits: np.ndarray) -> tuple[int, bool]:
    value = int("".join(map(str, bits)), 2)
    content_id, crc = value >> 16, value & 0xFFFF
    return content_id, binascii.crc_hqx(content_id.to_bytes(8, "big"), 0xFFFF) == crc


def _decode_with_correction(bits: np.ndarray, confidence: np.ndarray) -> tuple[int, bool]:
    """Soft decision: if the CRC fails, flip up to two of the six least confident bits."""
    content_id, ok = _crc_ok(bits)
    if ok:
        return content_id, True
    weakest = np.argsort(confidence)[:CORRECTABLE_FROM]
    for combo in [*[(i,) for i in weakest], *itertools.combinations(weakest, 2)]:
        trial = bits.copy()
        trial[list(combo)] ^= 1
        content_id, ok = _crc_ok(trial)
        if ok:
            return content_id, True
    return 0, False


@dataclass(frozen=True)
class WatermarkReading:
    found: bool
    content_id: int | None
    agreement: float  # mean share of votes for the winning bit
    bit_errors: int | None = None  # against an expected id, when given


def extract(image: np.ndarray, expected: int | None = None) -> WatermarkReading:
    _, canvas = _luma_canvas(image)
    _, _, _, s, _ = _singular_values(canvas)
    raw = ((s[:, 0] % STRENGTH) > STRENGTH / 2).astype(np.int64)
    ones = np.bincount(_BIT_OF_BLOCK, weights=raw, minlength=MESSAGE_BITS)
    total = np.bincount(_BIT_OF_BLOCK, minlength=MESSAGE_BITS)
    share = ones / total
    bits = (share > 0.5).astype(np.int64)
    agreement = float(np.mean(np.maximum(share, 1 - share)))
    content_id, valid = _decode_with_correction(bits, np.abs(share - 0.5))
    errors = None
    if expected is not None:
        errors = int(np.sum(bits != _message_bits(expected)))  # before correction
    degenerate = bool(bits.min() == bits.max())  # a flat image votes one way everywhere
    found = valid and agreement >= MIN_AGREEMENT and not degenerate
    return WatermarkReading(found, content_id if found else None, round(agreement, 4), errors)
