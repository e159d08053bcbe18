"""Bytes <-> pixel arrays: identify, validate, normalise and re-encode. Nothing else.

Every decoded image is returned as a C-contiguous ``uint8`` RGB array of shape (H, W, 3):
EXIF orientation applied, all metadata (EXIF/GPS, XMP, ICC, comments) dropped because only
pixels survive. What happens to unusual inputs:

- CMYK, palette, greyscale and 16-bit images are converted to 8-bit RGB (16-bit is scaled down);
- images with an alpha channel are composited over white (a face swap has no use for alpha);
- animated images (APNG, animated WebP) are refused with ``animated_image``;
- a format outside the allowed list (GIF, BMP, TIFF, ...) is refused with ``unsupported_format``.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from facegate.errors import UploadError

__all__ = ["DecodedImage", "decode_image", "encode_image", "sniff_format"]

_KNOWN_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


@dataclass(frozen=True)
class DecodedImage:
    pixels: np.ndarray  # (H, W, 3) uint8 RGB
    format: str  # the container identified from the bytes: JPEG | PNG | WEBP

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def sniff_format(data: bytes) -> str | None:
    """The format Pillow identifies from the bytes alone, or None for non-images."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            return str(im.format)
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def decode_image(
    data: bytes,
    *,
    allowed_formats: list[str] | tuple[str, ...],
    max_pixels: int,
    field: str = "image",
) -> DecodedImage:
    """Decode and validate upload bytes. Raises :class:`UploadError` with a stable code."""
    if not data:
        raise UploadError(f"{field} is empty (0 bytes)", code="empty_file")
    try:
        im = Image.open(io.BytesIO(data), formats=list(allowed_formats))
    except UnidentifiedImageError:
        found = sniff_format(data)
        what = f"a {found} image" if found else "not an image of a known format"
        raise UploadError(
            f"{field} is {what}; allowed formats: {', '.join(allowed_formats)}",
            code="unsupported_format",
        ) from None
    except Image.DecompressionBombError:
        raise UploadError(f"{field} declares too many pixels", code="image_too_large") from None
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        raise UploadError(f"{field} could not be decoded: {exc}", code="corrupt_image") from None
    with im:
        width, height = im.size
        if width * height > max_pixels:
            raise UploadError(
                f"{field} is {width}x{height} pixels; the limit is {max_pixels} pixels",
                code="image_too_large",
                details={"width": width, "height": height, "max_pixels": max_pixels},
            )
        if getattr(im, "is_animated", False) and getattr(im, "n_frames", 1) > 1:
            raise UploadError(
                f"{field} is animated; send a single still image", code="animated_image"
            )
        fmt = str(im.format)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                im.load()
                # exif_transpose copies the image even when there is nothing to turn
                turn = im.getexif().get(0x0112, 1) != 1 or "xmp" in im.info
                oriented = (ImageOps.exif_transpose(im) or im) if turn else im
                pixels = _to_rgb_array(oriented)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
            raise UploadError(
                f"{field} could not be decoded: {exc}", code="corrupt_image"
            ) from None
    if pixels.shape[0] < 1 or pixels.shape[1] < 1:
        raise UploadError(f"{field} has no pixels", code="corrupt_image")
    return DecodedImage(pixels=pixels, format=fmt)


def _to_rgb_array(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode in {"I;16", "I;16B", "I;16L", "I"}:
        arr = np.asarray(im, dtype=np.float64)
        peak = 65535.0 if arr.max(initial=0) > 255 else 255.0
        grey = np.clip(arr / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in {"RGBA", "LA", "PA", "RGBa", "La"}:
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, rgba)
    rgb = im if im.mode == "RGB" else im.convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def encode_image(
    pixels: np.ndarray, fmt: str, *, quality: int = 95, xmp: bytes | None = None
) -> bytes:
    """Encode an RGB array. No metadata is written except the optional XMP packet."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError("encode_image expects an (H, W, 3) uint8 RGB array")
    fmt = fmt.upper()
    if fmt not in _KNOWN_EXTENSIONS:
        raise ValueError(f"cannot encode {fmt}")
    buf = io.BytesIO()
    im = Image.fromarray(pixels, "RGB")
    if fmt == "JPEG":
        kwargs: dict[str, object] = {"quality": quality, "subsampling": 0 if quality >= 90 else 2}
        if xmp:
            kwargs["xmp"] = xmp
        im.save(buf, "JPEG", **kwargs)
    elif fmt == "WEBP":
        kwargs = {"quality": quality}
        if xmp:
            kwargs["xmp"] = xmp
        im.save(buf, "WEBP", **kwargs)
    else:
        from PIL.PngImagePlugin import PngInfo

        info = None
        if xmp:  # Pillow ignores xmp= for PNG: write the standard iTXt chunk ourselves
            info = PngInfo()
            info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
        im.save(buf, "PNG", compress_level=1, pnginfo=info)
    return buf.getvalue()


def extension_for(fmt: str) -> str:
    return _KNOWN_EXTENSIONS[fmt.upper()]


def media_type_for(fmt: str) -> str:
    return {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[fmt.upper()]
