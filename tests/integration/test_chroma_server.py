"""Client/server mode against a real ``chroma run`` server on 127.0.0.1.

One ingest job and two UI processes, each with its own local ``index/`` (as replicas
on different machines would have), share one Chroma server: both answer, both see an
incremental update, a server restart is survived, and a second ingest is refused.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client

from rag.index import remote
from tests.conftest import SEEDS, run_rag
from tests.ui.conftest import RunningApp, start_app, stop_app

pytestmark = pytest.mark.slow

SEALS = (
    "Harbour seals return to the Thames\n\n"
    "The Zoological Society of London counted 797 harbour seals in the Thames estuary "
    "in 2025, up from 500 in 2021.\n"
)


class ChromaServer:
    def __init__(self, path: Path) -> None:
        self.path = path
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        chroma = Path(sys.executable).with_name("chroma")
        self.log = (self.path.parent / f"chroma-{self.port}.log").open("a")
        self.process = subprocess.Popen(
            [str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1"]
            + ["--port", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/api/v2/heartbeat", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("chroma run did not start in 60 s")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ChromaServer]:
    running = ChromaServer(tmp_path_factory.mktemp("chroma") / "db")
    running.start()
    yield running
    running.stop()


def replica(base: Path, name: str, url: str) -> RunningApp:
    workdir = base / name
    workdir.mkdir()
    shutil.copytree(SEEDS, workdir / "seeds")
    return start_app(workdir, env_extra={"RAG_CHROMA_URL": url})


def ask(app: RunningApp, question: str) -> dict:
    return Client(app.url + "/", verbose=False).predict(question, api_name="/ask")


def eventually(check, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_two_replicas_share_one_server_through_updates_and_a_restart(
    server: ChromaServer, tmp_path: Path
) -> None:
    env = {"RAG_CHROMA_URL": server.url}
    job_seeds = tmp_path / "job-seeds"
    shutil.copytree(SEEDS, job_seeds)
    first = run_rag("ingest", job_seeds, tmp_path / "job-index", "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["chunks"] > 0
    # Nothing of the vectors is on the job's disk: they are on the server.
    assert not list((tmp_path / "job-index").rglob("chroma.sqlite3"))

    apps = [replica(tmp_path, "a", server.url), replica(tmp_path, "b", server.url)]
    try:
        for app in apps:
            answer = ask(app, "Who is the CEO of Mistral?")
            assert "Mensch" in answer["answer"] and answer["citations"]

        # An incremental update from the job: one new article, the rest reused.
        (job_seeds / "seals.txt").write_text(SEALS, encoding="utf-8")
        second = run_rag("ingest", job_seeds, tmp_path / "job-index", "--json", env=env)
        report = json.loads(second.stdout)
        assert report["files_embedded"] == ["seals.txt"] and len(report["files_reused"]) == 5

        def sees_the_seals(app: RunningApp) -> None:
            answer = ask(app, "How many harbour seals were counted in the Thames?")
            assert "797" in answer["answer"], answer

        for app in apps:  # each replica notices the new generation without a restart
            eventually(lambda app=app: sees_the_seals(app))

        # The server goes away: a clear message, no hang; back again: answers resume.
        server.stop()

        started = time.monotonic()
        with pytest.raises(Exception, match="Chroma server .* does not answer"):
            Client(apps[0].url + "/", verbose=False).predict(
                "How many harbour seals were counted in the Thames?", api_name="/ask"
            )
        assert time.monotonic() - started < 10
        server.start()
        for app in apps:
            eventually(lambda app=app: sees_the_seals(app))
    finally:
        for app in apps:
            stop_app(app)
    for app in apps:
        log = next(app.workdir.glob("app-*.log")).read_text()
        assert "Traceback" not in log, log[-2000:]


def test_a_second_ingest_is_refused_while_one_holds_the_lease(
    server: ChromaServer, tmp_path: Path
) -> None:
    env = {"RAG_CHROMA_URL": server.url}
    lease = remote.Lease(server.url)  # an ingest "running" in this process
    try:
        started = time.monotonic()
        refused = run_rag("ingest", SEEDS, tmp_path / "other-index", env=env)
        assert refused.returncode == 1
        assert "another ingest" in refused.stderr and "pid" in refused.stderr
        assert time.monotonic() - started < 30  # process start-up included; no waiting
    finally:
        lease.release()
    assert run_rag("ingest", SEEDS, tmp_path / "other-index", env=env).returncode == 0


def test_a_lease_left_by_a_killed_ingest_on_this_machine_is_taken_over(
    server: ChromaServer,
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], text=True, capture_output=True
    ).stdout.strip()
    meta = remote.client(server.url).get_or_create_collection(remote.META, embedding_function=None)
    meta.upsert(
        ids=[remote.LEASE],
        embeddings=[[1.0]],
        documents=["dead"],
        metadatas=[
            {
                "token": "dead",
                "host": socket.gethostname(),
                "pid": int(gone),
                "expires": time.time() + 3600,
            }
        ],
    )
    lease = remote.Lease(server.url)
    lease.release()
    assert meta.get(ids=[remote.LEASE])["ids"] == []


def test_no_index_on_the_server_says_how_to_build_it(tmp_path: Path) -> None:
    empty = ChromaServer(tmp_path / "empty-db")
    empty.start()
    try:
        got = run_rag(
            "ask",
            SEEDS,
            tmp_path / "index",
            "--retrieve-only",
            "Who runs Mistral?",
            env={"RAG_CHROMA_URL": empty.url},
        )
    finally:
        empty.stop()
    # ask builds the index when none exists, on the server it was pointed at
    assert got.returncode == 0, got.stderr
    assert "Mensch" in got.stdout


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    started = time.monotonic()
    got = run_rag(
        "ask",
        SEEDS,
        tmp_path / "index",
        "Who runs Mistral?",
        env={"RAG_CHROMA_URL": f"http://127.0.0.1:{port}"},
    )
    assert got.returncode == 1
    assert f"the Chroma server at http://127.0.0.1:{port} does not answer" in got.stderr
    assert "Traceback" not in got.stderr
    assert time.monotonic() - started < 30
