"""Implicit labels (GB 45438-2025 clause 6.1, Annex E) and IPTC digital source type, in XMP.

One ``TC260:AIGC`` property per file, its value the JSON object
``{"Label","ContentProducer","ProduceID","ReservedCode1","ContentPropagator","PropagateID",
"ReservedCode2"}``. ``ReservedCode1`` holds an integrity value over the pixels:
``"sha256:" + hex(sha256(b"<width>x<height>:" + RGB bytes))`` of the image *as decoded from the
delivered file*, so verification can tell whether the pixels were changed since.
JPEG: XMP in APP1; PNG: iTXt ``XML:com.adobe.xmp``; WebP: its XMP chunk.
"""

from __future__ import annotations

import hashlib
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
from PIL import Image

__all__ = [
    "AIGC_NS",
    "DIGITAL_SOURCE_TYPE",
    "ImplicitLabel",
    "build_xmp",
    "pixel_integrity",
    "read_xmp",
]

AIGC_NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"
IPTC_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
DIGITAL_SOURCE_TYPE = (
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
)


def pixel_integrity(pixels: np.ndarray) -> str:
    h, w = pixels.shape[:2]
    digest = hashlib.sha256(f"{w}x{h}:".encode() + np.ascontiguousarray(pixels).tobytes())
    return "sha256:" + digest.hexdigest()


def aigc_json(
    *, producer: str, produce_id: str, integrity: str, propagator: str = "", propagate_id: str = ""
) -> str:
    fields = {
        "Label": "1",
        "ContentProducer": producer,
        "ProduceID": produce_id,
        "ReservedCode1": integrity,
        "ContentPropagator": propagator,
        "PropagateID": propagate_id,
        "ReservedCode2": "",
    }
    text = json.dumps(fields, ensure_ascii=True, separators=(",", ":"))
    if not all(32 <= ord(c) < 127 for c in text):
        raise ValueError("the implicit label must be printable ASCII")
    return text


def build_xmp(aigc: str) -> bytes:
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'  <rdf:Description rdf:about="" xmlns:TC260="{AIGC_NS}" xmlns:Iptc4xmpExt="{IPTC_NS}"\n'
        f"   TC260:AIGC={quoteattr(aigc)}\n"
        f'   Iptc4xmpExt:DigitalSourceType="{DIGITAL_SOURCE_TYPE}"/>\n'
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


@dataclass(frozen=True)
class ImplicitLabel:
    count: int  # TC260:AIGC properties found (the standard wants exactly one)
    aigc: dict[str, Any] | None
    digital_source_type: str | None


def _xmp_packets(data: bytes) -> list[bytes]:
    with Image.open(io.BytesIO(data)) as im:
        info = dict(im.info)
    packets = []
    for key in ("xmp", "XML:com.adobe.xmp"):
        value = info.get(key)
        if value:
            packet = value.encode("utf-8") if isinstance(value, str) else value
            if packet not in packets:  # Pillow may expose one PNG chunk under two keys
                packets.append(packet)
    return packets


def read_xmp(data: bytes) -> ImplicitLabel:
    aigc_values: list[str] = []
    source_type = None
    for packet in _xmp_packets(data):
        start = packet.find(b"<x:xmpmeta")
        end = packet.rfind(b"</x:xmpmeta>")
        if start < 0 or end < 0:
            continue
        try:
            root = ET.fromstring(packet[start : end + len(b"</x:xmpmeta>")])
        except ET.ParseError:
            continue
        for element in root.iter():
            for name, value in element.attrib.items():
                if name == f"{{{AIGC_NS}}}AIGC":
                    aigc_values.append(value)
                elif name == f"{{{IPTC_NS}}}DigitalSourceType":
                    source_type = value
            if element.tag == f"{{{AIGC_NS}}}AIGC" and element.text:
                aigc_values.append(element.text)
    parsed = None
    if aigc_values:
        try:
            parsed = json.loads(aigc_values[0])
        except json.JSONDecodeError:
            parsed = None
    return ImplicitLabel(count=len(aigc_values), aigc=parsed, digital_source_type=source_type)
