"""C2PA manifests, signed last (c2pa-python 0.38.1), offline: no timestamp authority, no
thumbnail. Without a key pair in ``FACEGATE_C2PA_DIR`` (``facegate keys init``) outputs still
get the label, the watermark and the implicit metadata, and ``/ready`` says C2PA is off.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

from facegate import __version__
from facegate.provenance.metadata import DIGITAL_SOURCE_TYPE

__all__ = ["C2paSigner", "read_c2pa"]

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
SOFT_BINDING_ALG = "io.facegate.dwt-dct-svd.1"


class C2paSigner:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.chain = self.folder / "chain.pem"
        self.key = self.folder / "signer.key"
        self._signer: Any = None

    @property
    def configured(self) -> bool:
        return self.chain.is_file() and self.key.is_file()

    def _get(self) -> Any:
        if self._signer is None:
            import c2pa

            info = c2pa.C2paSignerInfo(
                b"es256", self.chain.read_bytes(), self.key.read_bytes(), None
            )
            self._signer = c2pa.Signer.from_info(info)
        return self._signer

    def sign(self, data: bytes, fmt: str, *, content_id: str) -> bytes:
        import c2pa

        manifest = {
            "claim_generator_info": [{"name": "FaceGate", "version": __version__}],
            "title": f"{content_id}.{fmt.lower()}",
            "assertions": [
                {
                    "label": "c2pa.actions",
                    "data": {
                        "actions": [
                            {
                                "action": "c2pa.created",
                                "digitalSourceType": DIGITAL_SOURCE_TYPE,
                                "softwareAgent": {"name": "FaceGate", "version": __version__},
                            },
                            {"action": "c2pa.watermarked"},
                        ]
                    },
                },
                {
                    "label": "c2pa.soft-binding",
                    "data": {
                        "alg": SOFT_BINDING_ALG,
                        "blocks": [
                            {
                                "scope": {},
                                "value": base64.b64encode(bytes.fromhex(content_id)).decode(),
                            }
                        ],
                    },
                },
            ],
        }
        context = c2pa.Context.from_dict(
            {"builder": {"thumbnail": {"enabled": False}}, "verify": {"verify_after_sign": False}}
        )
        out = io.BytesIO()
        c2pa.Builder(manifest, context=context).sign(self._get(), _MIME[fmt], io.BytesIO(data), out)
        return out.getvalue()


def read_c2pa(data: bytes, fmt: str, *, trust_anchors: str | None) -> dict[str, Any]:
    """absent | valid (signature fine, signer not anchored) | trusted | invalid (tampered)."""
    import c2pa

    config: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if trust_anchors:
        config["trust"] = {"user_anchors": trust_anchors}
    try:
        reader = c2pa.Reader(_MIME[fmt], io.BytesIO(data), context=c2pa.Context.from_dict(config))
    except Exception as exc:  # the SDK raises its own error types for "no manifest"
        if "NotFound" in type(exc).__name__ or "no JUMBF" in str(exc):
            return {"state": "absent"}
        return {"state": "invalid", "error": f"{type(exc).__name__}: {exc}"[:300]}
    state = str(reader.get_validation_state() or "").lower()
    codes = [s.get("code") for s in json.loads(reader.json()).get("validation_status") or []]
    return {"state": {"valid": "valid", "trusted": "trusted"}.get(state, "invalid"), "codes": codes}
