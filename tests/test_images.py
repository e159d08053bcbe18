import io

import numpy as np
import pytest
from PIL import Image

from facegate.errors import UploadError
from facegate.images import decode_image, encode_image
from helpers import (
    animated_png,
    encode,
    face_bytes,
    gif_bytes,
    jpeg_with_gps,
    noise_image,
    png_declaring,
)

ALLOWED = ["JPEG", "PNG", "WEBP"]


def decode(data: bytes, max_pixels: int = 40_000_000):
    return decode_image(data, allowed_formats=ALLOWED, max_pixels=max_pixels)


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (b"", "empty_file", 422),
        (face_bytes("obama.jpg")[:20000], "corrupt_image", 422),
        (encode(noise_image(300, 300), "JPEG")[:-3000], "corrupt_image", 422),
        (png_declaring(100_000, 100_000), "image_too_large", 413),
        (b"this is a text file, not a PNG\n" * 10, "unsupported_format", 415),
        (gif_bytes(), "unsupported_format", 415),
        (animated_png(), "animated_image", 422),
    ],
    ids=[
        "zero-bytes",
        "truncated-jpeg-header",
        "truncated-jpeg-data",
        "png-100000x100000",
        "text-as-png",
        "gif",
        "animated-png",
    ],
)
def test_bad_inputs_get_stable_codes(data: bytes, code: str, status: int) -> None:
    with pytest.raises(UploadError) as info:
        decode(data)
    assert info.value.code == code
    assert info.value.status == status


def test_pixel_limit_is_checked_from_the_header() -> None:
    data = encode(noise_image(200, 100), "PNG")
    with pytest.raises(UploadError) as info:
        decode(data, max_pixels=200 * 100 - 1)
    assert info.value.code == "image_too_large"
    assert decode(data, max_pixels=200 * 100).pixels.shape == (100, 200, 3)


def test_format_allow_list_is_enforced() -> None:
    data = encode(noise_image(), "WEBP")
    assert decode(data).format == "WEBP"
    with pytest.raises(UploadError) as info:
        decode_image(data, allowed_formats=["JPEG", "PNG"], max_pixels=10**7)
    assert info.value.code == "unsupported_format"


def test_gps_exif_does_not_survive_reencoding() -> None:
    data = jpeg_with_gps(noise_image())
    assert b"CameraMaker" in data
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    decoded = decode(data)
    out = encode_image(decoded.pixels, "JPEG")
    assert b"CameraMaker" not in out
    reread = Image.open(io.BytesIO(out))
    assert not reread.getexif()
    assert "exif" not in reread.info


def test_exif_orientation_is_applied() -> None:
    pixels = noise_image(60, 30)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    data = encode(pixels, "JPEG", exif=exif, quality=95)
    decoded = decode(data)
    assert decoded.pixels.shape == (60, 30, 3)


def test_cmyk_sixteen_bit_alpha_and_palette_become_rgb() -> None:
    rgb = noise_image(32, 16)
    buf_cmyk = io.BytesIO()
    Image.fromarray(rgb).convert("CMYK").save(buf_cmyk, "JPEG")
    cmyk = buf_cmyk.getvalue()
    grey16 = Image.fromarray((np.arange(32 * 16).reshape(16, 32) * 100).astype(np.uint16))
    buf16 = io.BytesIO()
    grey16.save(buf16, "PNG")
    rgba = np.dstack([rgb, np.zeros((16, 32), np.uint8)])  # fully transparent
    palette = Image.fromarray(rgb).convert("P")
    buf_p = io.BytesIO()
    palette.save(buf_p, "PNG")
    for data in (cmyk, buf16.getvalue(), encode(rgba, "PNG"), buf_p.getvalue()):
        out = decode(data).pixels
        assert out.dtype == np.uint8
        assert out.shape == (16, 32, 3)
    # transparent pixels are composited over white
    assert (decode(encode(rgba, "PNG")).pixels == 255).all()
    # 16-bit values are scaled, not clipped
    assert decode(buf16.getvalue()).pixels.max() > 100


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_encode_roundtrip(fmt: str) -> None:
    pixels = noise_image(40, 20)
    out = encode_image(pixels, fmt, quality=100)
    decoded = decode(out)
    assert decoded.format == fmt
    assert decoded.pixels.shape == pixels.shape
    if fmt == "PNG":
        assert np.array_equal(decoded.pixels, pixels)
