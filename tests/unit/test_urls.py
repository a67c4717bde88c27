"""The server-URL check (rag/urls.py): judged from the text alone, nothing is sent."""

import pytest

from rag.config import load_settings
from rag.errors import ConfigError
from rag.urls import UnsafeURL, check_server_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:11434/v1",  # Ollama on this machine
        "http://localhost:8080/v1",
        "http://[::1]:8000/v1",
        "http://10.0.0.5:8000/v1",  # private: a model server on the LAN is the normal case
        "http://192.168.1.20:1234/v1",
        "http://[fd12:3456::1]:8000/v1",  # IPv6 unique-local (private)
        "https://api.openai.com/v1",
        "https://llm.example.org:8443/v1",
    ],
)
def test_loopback_private_and_public_servers_are_allowed(url: str) -> None:
    assert check_server_url(url) == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://169.254.170.2/v2/credentials", "link-local"),
        ("http://[fe80::1]/v1", "link-local"),
        ("http://[fe80::1%25eth0]:80/v1", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),  # IPv4-mapped IPv6
        ("http://[::ffff:a9fe:a9fe]/", "link-local"),
        ("http://2852039166/", "obscure"),  # 169.254.169.254 as one integer
        ("http://0xA9FEA9FE/", "obscure"),
        ("http://0xa9.0xfe.0xa9.0xfe/", "obscure"),
        ("http://0251.0376.0251.0376/", "obscure"),  # octal
        ("http://169.254.43518/", "obscure"),  # shortened form
        ("http://0.0.0.0:8000/v1", "not an address"),
        ("http://[::]:8000/v1", "not an address"),
        ("http://224.0.0.1/v1", "not an address"),
        ("http://240.0.0.1/v1", "not an address"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
        ("http://METADATA.google.internal./", "metadata"),
        ("http://user:secret@127.0.0.1:8000/v1", "user or password"),
        ("file:///etc/passwd", "http"),
        ("gopher://127.0.0.1:70/", "http"),
        ("http:///v1", "no host"),
        ("http://127.0.0.1:99999/v1", "valid URL"),
    ],
)
def test_ssrf_targets_are_refused_in_every_spelling(url: str, why: str) -> None:
    with pytest.raises(UnsafeURL, match=why):
        check_server_url(url)


def test_the_settings_refuse_them_naming_the_setting(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://169.254.169.254/v1")
    with pytest.raises(ConfigError, match="(?i)openai_base_url.*link-local"):
        load_settings()
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.setenv("RAG_CHROMA_URL", "http://[::ffff:169.254.169.254]:8000")
    with pytest.raises(ConfigError, match="(?i)chroma_url.*link-local"):
        load_settings()
