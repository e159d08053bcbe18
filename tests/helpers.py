"""Test images made in code, and small helpers shared by the tests."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

FACES = Path(__file__).parent / "fixtures" / "faces"


def face_path(name: str) -> Path:
    return FACES / name


def face_bytes(name: str) -> bytes:
    return face_path(name).read_bytes()


def face_rgb(name: str) -> np.ndarray:
    with Image.open(face_path(name)) as im:
        return np.asarray(im.convert("RGB"))


def encode(pixels: np.ndarray, fmt: str = "JPEG", **kwargs: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, fmt, **kwargs)
    return buf.getvalue()


def noise_image(width: int = 64, height: int = 48, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def jpeg_with_gps(pixels: np.ndarray) -> bytes:
    im = Image.fromarray(pixels)
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (40.0, 26.0, 46.0)
    gps[3] = "W"
    gps[4] = (79.0, 58.0, 56.0)
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def gif_bytes() -> bytes:
    return encode(noise_image(), "GIF")


def animated_png() -> bytes:
    frames = [Image.fromarray(noise_image(seed=i)) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "PNG", save_all=True, append_images=frames[1:], duration=100)
    return buf.getvalue()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def files(source: bytes, target: bytes) -> dict[str, tuple[str, bytes, str]]:
    """Multipart fields with deliberately misleading names and content types: the server must
    identify formats from the bytes."""
    return {
        "source_image": ("source.png", source, "application/octet-stream"),
        "target_image": ("target.gif", target, "text/plain"),
    }


def wait_for_status(client, token: str, task_id: str, *, timeout: float = 20.0) -> dict:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v1/face/tasks/{task_id}", headers=auth(token)).json()
        if body["status"] not in {"queued", "running"} or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


def place(
    face: np.ndarray, size: tuple[int, int], at: tuple[int, int], scale: float = 1.0
) -> np.ndarray:
    """Put a portrait into a grey frame of ``size`` (w, h) at ``at`` (x, y), scaled."""
    import cv2

    w, h = size
    frame = np.full((h, w, 3), 110, np.uint8)
    if scale != 1.0:
        face = cv2.resize(face, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    fh, fw = face.shape[:2]
    x, y = at
    fw, fh = min(fw, w - x), min(fh, h - y)
    frame[y : y + fh, x : x + fw] = face[:fh, :fw]
    return frame


def head(name: str) -> np.ndarray:
    """A square crop around the fixture's face, about 1.8 times the face box."""
    crops = {
        "obama.jpg": (240, 19, 756, 535),
        "biden.jpg": (311, 110, 871, 670),
        "astronaut.png": (112, 6, 340, 234),
    }
    x0, y0, x1, y1 = crops[name]
    return np.ascontiguousarray(face_rgb(name)[y0:y1, x0:x1])


def side_by_side(*images: np.ndarray, gap: int = 40) -> np.ndarray:
    """Several portraits in one frame, left to right."""
    import cv2

    size = 360
    tiles = [cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA) for im in images]
    frame = np.full((size + 2 * gap, len(tiles) * (size + gap) + gap, 3), 110, np.uint8)
    for i, tile in enumerate(tiles):
        x = gap + i * (size + gap)
        frame[gap : gap + size, x : x + size] = tile
    return frame


def loopback_client(app):  # type: ignore[no-untyped-def]
    """The in-process client, calling from 127.0.0.1 like a local program (the IP allow-list
    refuses Starlette's default non-address 'testclient')."""
    from fastapi.testclient import TestClient

    return TestClient(app, client=("127.0.0.1", 50000))
