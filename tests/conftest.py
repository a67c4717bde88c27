"""Shared fixtures. Every test runs with a clean environment and its own cwd, so a
developer's .env or exported keys never leak in (httpx's clean_environ)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from rag import Settings, build_index

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).parent / "fixtures"
OFFLINE_SWITCHES = {
    "TIKTOKEN_CACHE_DIR",
    "ANONYMIZED_TELEMETRY",
    "GRADIO_ANALYTICS_ENABLED",
    "HF_HUB_OFFLINE",
    "HF_HUB_DISABLE_TELEMETRY",
    "DO_NOT_TRACK",
}


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith(("RAG_", "OPENAI_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The seeds indexed once per test session: (seeds_dir, index_dir). Read-only."""
    base = tmp_path_factory.mktemp("shared")
    seeds = base / "seeds"
    shutil.copytree(SEEDS, seeds)
    index = base / "index"
    build_index(Settings(seeds_dir=seeds, index_dir=index))
    return seeds, index


def run_cli(
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
):
    # Without the switches `import rag` set in this process: each child must set them itself.
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RAG_", "OPENAI_")) and k not in OFFLINE_SWITCHES
    }
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )


def run_rag(module: str, seeds: Path, index: Path, *args: str, **kwargs):
    """``python -m rag.<module> --seeds S --index I ARGS`` in a new process."""
    return run_cli(
        "-m", f"rag.{module}", "--seeds", str(seeds), "--index", str(index), *args, **kwargs
    )


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A child's environment: none of this process's RAG_/OPENAI_ settings or offline
    switches (each child must set those itself), plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RAG_", "OPENAI_")) and k not in OFFLINE_SWITCHES
    }
    return {**env, **(extra or {})}


def spawn(
    args: list[str],
    workdir: Path,
    env: dict[str, str],
    ready_url: str,
    log: Path,
    timeout: float = 120,
) -> subprocess.Popen:
    """``python ARGS`` in ``workdir``, its output in ``log``; returned once ``ready_url``
    answers at all (any HTTP status: the server is up)."""
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=workdir,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            with urllib.request.urlopen(ready_url, timeout=2):
                return process
        except urllib.error.HTTPError:
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{' '.join(args)} did not start in {timeout:.0f} s")
