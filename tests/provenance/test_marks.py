"""Each provenance mark on real images: sizes, robustness, parsing back, tampering."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from facegate.images import decode_image
from facegate.provenance import watermark
from facegate.provenance.c2pa_sign import read_c2pa
from facegate.provenance.keys import init_c2pa_keys
from facegate.provenance.label import POSITIONS, _font, draw_label
from facegate.provenance.metadata import pixel_integrity, read_xmp
from facegate.provenance.stamp import Stamper
from helpers import face_rgb, noise_image

CID = "0f1e2d3c4b5a6978"


def jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


@pytest.mark.parametrize("shape", [(512, 512), (1137, 910), (1080, 1920), (90, 400)])
@pytest.mark.parametrize("position", POSITIONS)
def test_label_is_big_enough_and_inside(shape, position) -> None:
    image = np.full((*shape, 3), 200, np.uint8)
    out, box = draw_label(image, "AI生成 AI-generated", position)
    assert box.text_height >= 0.05 * min(shape)
    x, y, w, h = box.box
    assert x >= 0 and y >= 0 and x + w <= shape[1] and y + h <= shape[0]
    patch = out[y : y + h, x : x + w].astype(int)
    assert patch.min() < 80 and patch.max() > 230  # dark backing, light text
    outside = np.ones(shape, bool)
    outside[y : y + h, x : x + w] = False
    assert (out[outside] == 200).all()
    if position.endswith("right"):
        assert x + w > shape[1] * 0.5
    if position.startswith("bottom"):
        assert y > shape[0] * 0.5


def test_cjk_glyphs_render() -> None:
    font = _font(48)
    missing = np.asarray(font.getmask("\U000f0000"))  # private use: the font's notdef glyph
    for char in "生成合":
        glyph = np.asarray(font.getmask(char))
        assert glyph.sum() > 0
        assert glyph.shape != missing.shape or not np.array_equal(glyph, missing)


@pytest.mark.parametrize("name", ["astronaut.png", "obama.jpg", "biden.jpg"])
def test_watermark_survives_jpeg_and_resize(name) -> None:
    marked = watermark.embed(face_rgb(name), int(CID, 16))
    h, w = marked.shape[:2]
    half = cv2.resize(marked, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    for attacked in (marked, jpeg(marked, 75), half, jpeg(half, 75)):
        reading = watermark.extract(attacked)
        assert reading.found and f"{reading.content_id:016x}" == CID


def test_watermark_is_invisible() -> None:
    original = face_rgb("obama.jpg")
    marked = watermark.embed(original, int(CID, 16))
    mse = np.mean((marked.astype(float) - original) ** 2)
    assert 10 * np.log10(255**2 / mse) > 40


def test_no_watermark_on_unmarked_images() -> None:
    images = [face_rgb(n) for n in ("astronaut.png", "obama.jpg", "biden.jpg")]
    images += [noise_image(300, 200, seed=i) for i in range(20)]
    images += [np.full((300, 300, 3), v, np.uint8) for v in (0, 128, 255)]
    assert not any(watermark.extract(im).found for im in images)


@pytest.fixture
def stamper(settings):
    return Stamper(settings)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_implicit_label_parses_back_once(stamper, settings, fmt) -> None:
    data = stamper.stamp(face_rgb("astronaut.png"), content_id=CID, fmt=fmt, tenant="t").data
    assert data.count(b"TC260:AIGC=") == 1
    label = read_xmp(data)
    assert label.count == 1
    assert label.aigc["Label"] == "1"
    assert label.aigc["ProduceID"] == CID
    assert label.aigc["ContentProducer"] == settings.provider_code
    assert set(label.aigc) == {
        "Label",
        "ContentProducer",
        "ProduceID",
        "ReservedCode1",
        "ContentPropagator",
        "PropagateID",
        "ReservedCode2",
    }
    assert label.digital_source_type.endswith("/compositeWithTrainedAlgorithmicMedia")
    pixels = decode_image(data, allowed_formats=[fmt], max_pixels=10**8).pixels
    assert label.aigc["ReservedCode1"] == pixel_integrity(pixels)
    edited = pixels.copy()
    edited[0, 0] ^= 1
    assert label.aigc["ReservedCode1"] != pixel_integrity(edited)
    assert watermark.extract(pixels).found


def test_c2pa_valid_trusted_and_tampered(settings, stamper) -> None:
    unsigned = stamper.stamp(face_rgb("astronaut.png"), content_id=CID, fmt="JPEG", tenant="t")
    assert unsigned.report["c2pa"].startswith("off")
    assert read_c2pa(unsigned.data, "JPEG", trust_anchors=None) == {"state": "absent"}
    paths = init_c2pa_keys(settings.c2pa_dir)
    signed = Stamper(settings).stamp(
        face_rgb("astronaut.png"), content_id=CID, fmt="JPEG", tenant="t"
    )
    assert signed.report["c2pa"] == "signed"
    plain = read_c2pa(signed.data, "JPEG", trust_anchors=None)
    assert plain["state"] == "valid" and "signingCredential.untrusted" in plain["codes"]
    root = paths["root"].read_text()
    assert read_c2pa(signed.data, "JPEG", trust_anchors=root)["state"] == "trusted"
    flipped = bytearray(signed.data)
    flipped[len(flipped) // 2] ^= 0xFF
    assert read_c2pa(bytes(flipped), "JPEG", trust_anchors=root)["state"] == "invalid"
    assert read_xmp(signed.data).count == 1  # signing kept the implicit label


def test_label_can_be_off_only_for_listed_tenants(settings) -> None:
    settings.label_off_tenants = ["studio-a"]
    stamper = Stamper(settings)
    off = stamper.stamp(face_rgb("astronaut.png"), content_id=CID, fmt="PNG", tenant="studio-a")
    on = stamper.stamp(face_rgb("astronaut.png"), content_id=CID, fmt="PNG", tenant="other")
    assert off.report["visible_label"] == {"off": "FACEGATE_LABEL_OFF_TENANTS"}
    assert "box" in on.report["visible_label"]
    assert off.report["watermark"]["content_id"] == CID  # the other marks stay
