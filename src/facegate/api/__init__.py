"""The HTTP API: ``create_app(settings)``."""

from facegate.api.app import create_app

__all__ = ["create_app"]
