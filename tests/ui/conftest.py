"""The real app in a real server process on 127.0.0.1, for browser, route and API tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import child_env, spawn

CANARY = "sk-test-CANARY-ui-0123456789"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class RunningApp:
    url: str
    workdir: Path
    process: subprocess.Popen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(workdir: Path, *extra: str, env_extra: dict[str, str] | None = None) -> RunningApp:
    port = free_port()
    # the canary must never show up anywhere
    env = child_env({"OPENAI_API_KEY": CANARY, **(env_extra or {})})
    args = ["-m", "ui", "--port", str(port), "--seeds", "seeds", "--index", "index", *extra]
    url = f"http://127.0.0.1:{port}"
    process = spawn(args, workdir, env, url + "/", workdir / f"app-{port}.log")
    return RunningApp(url, workdir, process)


def start_app_with_model(
    workdir: Path, base_url: str, env_extra: dict[str, str] | None = None
) -> RunningApp:
    """The app answering through an OpenAI-compatible endpoint (model "m")."""
    return start_app(
        workdir,
        "--llm",
        "openai-compatible",
        "--base-url",
        base_url,
        "--model",
        "m",
        env_extra=env_extra,
    )


def stop_app(app: RunningApp) -> None:
    app.process.terminate()
    try:
        app.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app.process.kill()


@pytest.fixture(scope="session")
def app_workdir(built_index: tuple[Path, Path], tmp_path_factory) -> Path:
    """A project folder: seeds/, index/, and a .env holding a secret that must not leak."""
    seeds, index = built_index
    workdir = tmp_path_factory.mktemp("app")
    shutil.copytree(seeds, workdir / "seeds")
    shutil.copytree(index, workdir / "index")
    (workdir / ".env").write_text(f"OPENAI_API_KEY={CANARY}\nRAG_SECRET_LINE=dotenv-canary\n")
    return workdir


@pytest.fixture(scope="session")
def app(app_workdir: Path) -> Iterator[RunningApp]:
    running = start_app(app_workdir)
    yield running
    stop_app(running)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    for number, open_page in enumerate(context.pages):
        open_page.screenshot(
            path=str(ARTIFACTS / f"{request.node.name}-{number}.png"), full_page=True
        )
    context.close()
