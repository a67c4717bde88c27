"""The whole ask path with every non-loopback connection refused, as on a machine with
no network: tiktoken, chromadb telemetry, llama-index and gradio must not reach out."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli, run_rag
from tests.fakes import FakeChatServer, Step

GUARD = r"""
import socket, sys
_real = socket.socket.connect
ATTEMPTS = []
def guarded(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost")
                                  or self.family == socket.AF_UNIX):
        return _real(self, address)
    ATTEMPTS.append(host)
    sys.stderr.write(f"BLOCKED-CONNECT {host}\n")
    raise OSError("network blocked by test")
socket.socket.connect = guarded
_real_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    if host not in (None, "localhost") and not str(host).startswith("127."):
        sys.stderr.write(f"BLOCKED-DNS {host}\n")
        raise socket.gaierror("dns blocked by test")
    return _real_getaddrinfo(host, *args, **kwargs)
socket.getaddrinfo = getaddrinfo
"""


def test_ingest_and_ask_make_no_outside_connection(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(GUARD)
    seeds = Path(__file__).resolve().parents[2] / "seeds"
    env = {"PYTHONPATH": str(site), "HOME": str(tmp_path)}
    result = run_rag(
        "ask", seeds, tmp_path / "ix", "--json", "Does Microsoft own shares in Mistral?", env=env
    )
    assert result.returncode == 0, result.stderr
    assert "BLOCKED" not in result.stderr
    assert json.loads(result.stdout)["citations"]
    # the guard itself works: a deliberate outside lookup is caught
    probe = run_cli("-c", "import socket; socket.getaddrinfo('example.invalid', 80)", env=env)
    assert "BLOCKED-DNS" in probe.stderr


def test_the_generative_path_reaches_only_the_chosen_loopback_endpoint(
    built_index, tmp_path: Path
) -> None:
    """tiktoken (prompt budget) and the openai SDK run with the network closed."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(GUARD)
    seeds, index = built_index
    env = {
        "PYTHONPATH": str(site),
        "HOME": str(tmp_path),
        "TIKTOKEN_CACHE_DIR": "",
        "OPENAI_API_KEY": "sk-test-CANARY-offline",
    }
    env.pop("TIKTOKEN_CACHE_DIR")
    with FakeChatServer([Step(reply="Arthur Mensch is the CEO of Mistral [1].")]) as server:
        result = run_rag(
            "ask",
            seeds,
            index,
            "--json",
            "--llm",
            "openai-compatible",
            "--base-url",
            server.base_url,
            "Who is the CEO of Mistral?",
            env=env,
        )
        assert len(server.requests) == 1
    assert result.returncode == 0, result.stderr
    assert "BLOCKED" not in result.stderr and "CANARY" not in result.stdout + result.stderr
    assert json.loads(result.stdout)["citations"]
