from pathlib import Path

import pytest

from rag.config import Settings, load_settings
from rag.errors import ConfigError
from rag.urls import parse_chroma_url as parse_url


def test_a_key_in_the_environment_does_not_choose_a_cloud_backend(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-CANARY-not-a-key")
    settings = load_settings()
    assert settings.llm == "extractive"
    assert "CANARY" not in repr(settings)


def test_bad_values_raise_a_config_error_naming_the_setting(monkeypatch) -> None:
    monkeypatch.setenv("RAG_CHUNK_TOKENS", "9999")
    with pytest.raises(ConfigError, match="chunk_tokens"):
        load_settings()
    with pytest.raises(ConfigError, match="llm"):
        load_settings(llm="gpt-9")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000", ("127.0.0.1", 8000, False)),
        ("http://chroma.internal", ("chroma.internal", 8000, False)),
        ("https://chroma.example:9443/", ("chroma.example", 9443, True)),
        ("http://[::1]:8001", ("::1", 8001, False)),
    ],
)
def test_a_chroma_url_names_host_port_and_tls(url, expected) -> None:
    assert parse_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "127.0.0.1:8000",  # no scheme
        "ftp://host:8000",
        "http://user:pw@host:8000",  # a secret in a URL ends up in logs
        "http://host:8000/api",
        "http://host:8000?tenant=x",
        "http://",
    ],
)
def test_a_bad_chroma_url_is_refused_before_any_connection(monkeypatch, url) -> None:
    monkeypatch.setenv("RAG_CHROMA_URL", url)
    with pytest.raises(ConfigError, match="chroma_url"):
        load_settings()


def test_an_empty_chroma_url_means_the_embedded_store(monkeypatch) -> None:
    monkeypatch.setenv("RAG_CHROMA_URL", "")
    assert load_settings().chroma_url is None


def test_every_setting_is_documented_in_env_example() -> None:
    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    missing = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names = list(alias.choices) if alias is not None else [f"RAG_{name.upper()}"]
        if not any(str(n) in text for n in names):
            missing.append(name)
    assert missing == []
