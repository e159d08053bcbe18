import pytest
from pydantic import ValidationError

from facegate.settings import Settings


def make(tmp_path, **kw) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **kw)  # type: ignore[call-arg]


def test_defaults_point_into_the_data_folder(tmp_path) -> None:
    s = make(tmp_path)
    assert s.database_url == f"sqlite:///{(tmp_path / 'facegate.db').resolve()}"
    assert s.queue_url == f"sqlite:///{(tmp_path / 'queue.db').resolve()}"
    assert s.host == "127.0.0.1"
    assert s.max_upload_bytes == 8 * 1024 * 1024
    assert not hasattr(s, "api_token")  # there is no default token, ever


def test_allow_list_defaults(tmp_path) -> None:
    loopback = make(tmp_path).client_networks()
    assert [str(n) for n in loopback] == ["127.0.0.0/8", "::1/128"]
    assert make(tmp_path, host="0.0.0.0").client_networks() is None
    custom = make(tmp_path, host="0.0.0.0", allowed_cidrs=["10.1.0.0/16"]).client_networks()
    assert [str(n) for n in custom] == ["10.1.0.0/16"]


def test_environment_is_read(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FACEGATE_PORT", "9123")
    monkeypatch.setenv("FACEGATE_ALLOWED_FORMATS", '["PNG"]')
    s = make(tmp_path)
    assert s.port == 9123 and s.allowed_formats == ["PNG"]


def test_unknown_engine_is_refused(tmp_path) -> None:
    with pytest.raises(ValidationError, match="FACEGATE_ENGINE"):
        make(tmp_path, engine="inswapper")
