"""The running app picks up an index published by a CLI ingest, without a restart."""

from __future__ import annotations

import shutil
import time

import pytest
from gradio_client import Client

from tests.conftest import run_rag
from tests.ui.conftest import start_app, stop_app

pytestmark = pytest.mark.slow


def test_a_new_generation_is_used_without_a_restart(app_workdir, tmp_path) -> None:
    workdir = tmp_path / "project"
    shutil.copytree(app_workdir, workdir, ignore=shutil.ignore_patterns("app-*.log"))
    app = start_app(workdir)
    try:
        client = Client(app.url + "/", verbose=False)
        question = "How many grey seal pups were counted on Skerry Island?"
        assert client.predict(question, api_name="/ask")["refused"]
        (workdir / "seeds" / "seals.txt").write_text(
            "Lighthouse keepers on Skerry Island counted 310 grey seal pups this winter.\n"
            "The island trust said the count was the highest since records began in 1979.\n",
            encoding="utf-8",
        )
        result = run_rag("ingest", workdir / "seeds", workdir / "index")
        assert result.returncode == 0, result.stderr
        deadline = time.monotonic() + 20
        while True:
            answer = client.predict(question, api_name="/ask")
            if not answer["refused"] or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert "310 grey seal pups" in answer["answer"]
        assert answer["citations"][0]["source"] == "seals.txt"
    finally:
        stop_app(app)
