"""Shared fixtures: settings in a temporary data folder, services, an app client, tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from facegate.api import create_app
from facegate.db import queries as q
from facegate.service import Services, build_services
from facegate.settings import Settings
from facegate.tokens import generate_token, secret_digest
from helpers import loopback_client

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        engine="test-only",
        # the core tests use the test-only engine, which swaps nothing; consent has its own tests
        consent_enforcement="off",
        lease_s=2.0,
        # tests poll task status every 20 ms; the limits have their own tests
        rate_limit_per_s=1000.0,
        rate_limit_burst=1000,
        sync_wait_s=10.0,
    )


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    svc = build_services(settings)
    yield svc
    svc.db.engine.dispose()


MakeToken = Callable[..., str]


@pytest.fixture
def make_token(services: Services) -> MakeToken:
    def make(scopes: str = "process", tenant: str = "acme", name: str = "test") -> str:
        new = generate_token()
        with services.db.session() as s:
            q.create_token(
                s,
                key_id=new.key_id,
                secret_sha256=secret_digest(new.secret),
                name=name,
                tenant=tenant,
                scopes=scopes.split(","),
            )
        return new.token

    return make


@pytest.fixture
def client(settings: Settings, services: Services) -> Iterator[TestClient]:
    app = create_app(settings, services=services)
    with loopback_client(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def engine():
    """The real classic engine, its models loaded once for the whole session."""
    from facegate.swap.classic import ClassicSwapEngine

    eng = ClassicSwapEngine()
    eng.setup()
    return eng


@pytest.fixture(scope="session")
def identity():
    from facegate.vision.identity import IdentityEncoder

    enc = IdentityEncoder()
    enc.setup()
    return enc
