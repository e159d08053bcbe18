"""FaceGate: a local, consent-first face-processing service."""

__version__ = "0.1.0"

from facegate.client import FaceGateAPIError, FaceGateClient
from facegate.errors import FaceGateError
from facegate.settings import Settings, get_settings
from facegate.types import TaskStatus

__all__ = [
    "FaceGateAPIError",
    "FaceGateClient",
    "FaceGateError",
    "Settings",
    "TaskStatus",
    "__version__",
    "get_settings",
]
