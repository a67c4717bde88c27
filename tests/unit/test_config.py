import pytest

from rag.config import load_settings
from rag.errors import ConfigError


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
