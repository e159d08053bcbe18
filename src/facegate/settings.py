"""The one place that reads the environment: ``FACEGATE_*`` variables and an optional ``.env``."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from facegate.safety import DEFAULT_THRESHOLDS

__all__ = ["Settings", "get_settings"]

ImageFormat = Literal["JPEG", "PNG", "WEBP"]


class Settings(BaseSettings):
    """Service configuration. Every field maps to ``FACEGATE_<FIELD>`` in upper case."""

    model_config = SettingsConfigDict(env_prefix="FACEGATE_", env_file=".env", extra="ignore")

    # where things live
    data_dir: Path = Path("./data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite:///<data_dir>/facegate.db"
    )
    queue_url: str | None = Field(
        default=None,
        description="sqlite:///path or redis://host:port/db; default SQLite in data_dir",
    )

    # HTTP
    host: str = "127.0.0.1"
    port: int = 8000
    log_json: bool = False
    log_level: str = "INFO"

    # uploads
    max_upload_bytes: int = 8 * 1024 * 1024
    max_pixels: int = 40_000_000
    allowed_formats: list[ImageFormat] = ["JPEG", "PNG", "WEBP"]

    # tasks
    engine: str = Field(default="classic", description="classic | test-only")
    test_processor_delay_s: float = 0.0
    sync_wait_s: float = 30.0
    output_ttl_s: int = 24 * 3600
    lease_s: float = 60.0
    max_attempts: int = 3
    worker_threads: int = 1
    in_process_worker: bool = True
    jpeg_quality: int = 95

    # consent (issue 4)
    consent_enforcement: Literal["biometric", "off"] = Field(
        default="biometric",
        description="'off' is accepted only with the test-only engine, which swaps nothing",
    )
    consent_match_threshold: float = Field(
        default=0.5, description="max dlib ResNet distance between a face and its subject"
    )
    enrol_consistency_threshold: float = Field(
        default=0.6,
        description="max distance between enrolment photos (dlib's calibrated same-person "
        "threshold; a sanity check that they show one person)",
    )
    consent_max_years: float = 3.0
    require_target_consent: bool = False
    keep_enrolment_photos: bool = False
    enrol_min_face_px: int = 80
    enrol_max_photos: int = 5

    # content safety (issue 7)
    nsfw_detector: Literal["nudenet", "onnx", "off"] = Field(
        default="nudenet", description="'off' is logged loudly and recorded in every task"
    )
    nsfw_model_dir: Path | None = Field(default=None, description="default <data_dir>/models")
    nsfw_onnx_file: str | None = None
    nsfw_onnx_sha256: str | None = None
    nsfw_onnx_labels: list[str] = []
    nsfw_onnx_size: int = 224
    nsfw_thresholds: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    nsfw_review_band: float = 0.15
    review_enabled: bool = True
    review_ttl_s: int = Field(
        default=7 * 24 * 3600, description="unreviewed tasks are rejected after this long"
    )

    # abuse limits (issue 7)
    rate_limit_per_s: float = Field(default=10.0, description="token refill per API token")
    rate_limit_burst: int = 30
    max_concurrent_tasks_per_token: int = 8
    daily_quota_per_token: int = 5000
    max_queue: int = Field(default=500, description="queued + running tasks, all tenants")
    allowed_cidrs: list[str] | None = Field(
        default=None, description="default: loopback only when bound to loopback, else any"
    )

    # audit and retention (issue 6)
    audit_mirror: Path | None = Field(default=None, description="JSON-lines copy of the log")
    audit_retention_days: int = 180
    checkpoint_interval_s: int = 3600

    # webhooks (issue 6)
    webhook_allowed_cidrs: list[str] = Field(
        default_factory=list,
        description="private/loopback networks that callback_url may target (SSRF guard)",
    )
    webhook_timeout_s: float = 5.0
    webhook_backoff_s: float = 2.0
    webhook_max_s: float = 3600.0

    # provenance (issue 5)
    provider_code: str = Field(default="FaceGate", description="ContentProducer in the AIGC label")
    label_text: str = "AI生成"
    label_text_en: str = Field(default="AI-generated", description="empty: Chinese text only")
    label_position: Literal[
        "bottom-right", "bottom-left", "top-right", "top-left", "bottom", "top"
    ] = "bottom-right"
    label_off_tenants: list[str] = Field(
        default_factory=list,
        description="tenants whose user agreement covers delivery without the visible label "
        "(recorded in every task's audit event; all other marks stay)",
    )
    c2pa_dir: Path | None = Field(default=None, description="default <data_dir>/keys/c2pa")

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if self.database_url is None:
            self.database_url = f"sqlite:///{(self.data_dir / 'facegate.db').resolve()}"
        if self.c2pa_dir is None:
            self.c2pa_dir = self.data_dir / "keys" / "c2pa"
        if self.nsfw_model_dir is None:
            self.nsfw_model_dir = self.data_dir / "models"
        if self.queue_url is None:
            self.queue_url = f"sqlite:///{(self.data_dir / 'queue.db').resolve()}"
        if self.engine not in {"classic", "test-only"}:
            raise ValueError(
                f"FACEGATE_ENGINE must be 'classic' or 'test-only', not {self.engine!r}"
            )
        if self.consent_enforcement == "off" and self.engine != "test-only":
            raise ValueError(
                "FACEGATE_CONSENT_ENFORCEMENT=off is refused: a real engine never runs without "
                "consent (it may be off only with FACEGATE_ENGINE=test-only, which swaps nothing)"
            )
        if self.max_attempts < 1:
            raise ValueError("FACEGATE_MAX_ATTEMPTS must be at least 1")
        return self

    def client_networks(self) -> list[IPv4Network | IPv6Network] | None:
        """The allow-list; None lets every address in (a warning is logged at start)."""
        cidrs = self.allowed_cidrs
        if cidrs is None:
            if not ip_address(self.host if self.host != "localhost" else "127.0.0.1").is_loopback:
                return None
            cidrs = ["127.0.0.0/8", "::1/128"]
        return [ip_network(c, strict=False) for c in cidrs]

    @property
    def key_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def max_request_bytes(self) -> int:
        """Two images plus room for form fields and multipart framing."""
        return 2 * self.max_upload_bytes + 256 * 1024


@lru_cache
def get_settings() -> Settings:
    return Settings()
