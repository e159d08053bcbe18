"""The engine interface: set up once per worker, then ``process(source, target, options)``."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["EngineHealth", "FaceSelection", "ProcessResult", "Processor", "SwapOptions"]


class EngineHealth(enum.StrEnum):
    STARTING = "starting"
    READY = "ready"
    SETUP_FAILED = "setup_failed"


@dataclass(frozen=True)
class FaceSelection:
    """Which target faces to replace: ``largest``, ``all``, ``index`` (left to right) or ``box``."""

    mode: str = "largest"
    index: int | None = None
    box: tuple[int, int, int, int] | None = None  # x, y, width, height in target pixels

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "index": self.index, "box": list(self.box) if self.box else None}


@dataclass(frozen=True)
class SwapOptions:
    selection: FaceSelection = field(default_factory=FaceSelection)
    shape: float = 0.5  # 0 keeps the target's face shape, 1 keeps the source's
    mouth_mask: bool = True  # keep the target's mouth interior (teeth, tongue)
    keep_eyes: bool = False  # keep the target's eyes (gaze)

    def to_dict(self) -> dict[str, Any]:
        return {
            "selection": self.selection.to_dict(),
            "shape": self.shape,
            "mouth_mask": self.mouth_mask,
            "keep_eyes": self.keep_eyes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SwapOptions:
        sel = data.get("selection") or {}
        box = sel.get("box")
        return cls(
            selection=FaceSelection(
                mode=sel.get("mode", "largest"),
                index=sel.get("index"),
                box=tuple(box) if box else None,  # type: ignore[arg-type]
            ),
            shape=float(data.get("shape", 0.5)),
            mouth_mask=bool(data.get("mouth_mask", True)),
            keep_eyes=bool(data.get("keep_eyes", False)),
        )


@dataclass(frozen=True)
class ProcessResult:
    image: np.ndarray  # (H, W, 3) uint8 RGB, same size as the target
    report: dict[str, Any]  # JSON-serialisable: faces found/replaced, per-stage timings


@runtime_checkable
class Processor(Protocol):
    name: str

    def setup(self) -> None:
        """Load weights once; raise on failure."""

    def process(
        self, source: np.ndarray, target: np.ndarray, options: SwapOptions
    ) -> ProcessResult:
        """Replace face(s) in ``target`` with the face in ``source``; raise ProcessingError."""
        ...
