"""Choose the engine named in the settings."""

from __future__ import annotations

from facegate.settings import Settings
from facegate.swap.base import Processor

__all__ = ["make_processor"]


def make_processor(settings: Settings) -> Processor:
    if settings.engine == "test-only":
        from facegate.swap.testing import TestOnlyProcessor

        return TestOnlyProcessor(delay_s=settings.test_processor_delay_s)
    from facegate.swap.classic import ClassicSwapEngine

    return ClassicSwapEngine()
