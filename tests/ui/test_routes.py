"""Every file-ish route of the running app refuses what is not an indexed article,
and the API answers through gradio_client."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
from gradio_client import Client

from tests.fakes import Canary
from tests.ui.conftest import CANARY, start_app, stop_app

# A running app and a gradio client: with the full suite, not between edits.
pytestmark = pytest.mark.slow

SECRETS = (CANARY, "dotenv-canary", '"fingerprint"', "chromadb_version", "root:x:0:0")


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def test_an_article_is_served_by_its_index_id_with_the_cited_lines_marked(app) -> None:
    answer = Client(app.url + "/", verbose=False).predict(
        "Who is the CEO of Mistral?", api_name="/ask"
    )
    assert answer["citations"] and answer["backend"] == "extractive"
    status, body = fetch(app.url + "/source/cb145075d09b24d7?start=6&end=6")
    assert status == 200 and 'id="L6"' in body and '<div class="line hit" id="L6">' in body


@pytest.mark.parametrize(
    "path",
    [
        "/source/0000000000000000",
        "/source/..%2F..%2F.env",
        "/source/%2e%2e/%2e%2e/.env",
        "/source/../.env",
        "/source/%2Fetc%2Fpasswd",
        "/source/seeds%2F000_1e069c046a7fec7f.txt",
        "/.env",
        "/index/CURRENT",
        "/seeds/000_1e069c046a7fec7f.txt",
    ],
)
def test_the_source_route_takes_only_index_ids(app, path: str) -> None:
    status, body = fetch(app.url + path)
    assert status in (403, 404), (path, status)
    assert not any(secret in body for secret in SECRETS)


@pytest.mark.parametrize("prefix", ["/gradio_api/file=", "/file=", "/gradio_api/file/"])
@pytest.mark.parametrize(
    "target",
    [".env", "ENV_ABS", "INDEX_ABS", "../../../../etc/passwd", "seeds/000_1e069c046a7fec7f.txt"],
)
def test_gradio_file_routes_serve_nothing_from_the_project(app, prefix: str, target: str):
    manifest = next((app.workdir / "index").glob("g-*/manifest.json"))
    target = {"ENV_ABS": str(app.workdir / ".env"), "INDEX_ABS": str(manifest)}.get(target, target)
    status, body = fetch(app.url + prefix + target)
    assert status in (400, 403, 404, 405), (prefix, target, status)
    assert not any(secret in body for secret in SECRETS)
    assert "Mistral" not in body


def test_monitoring_and_api_docs_are_off(app) -> None:
    for path in ("/monitoring", "/gradio_api/monitoring", "/docs", "/openapi.json"):
        status, _ = fetch(app.url + path)
        assert status != 200, path


def test_no_secret_in_the_page_config_or_log(app) -> None:
    for path in ("/", "/config", "/gradio_api/info"):
        _, body = fetch(app.url + path)
        assert CANARY not in body and "dotenv-canary" not in body
    # Every file the apps wrote in the project folder (logs of all apps the UI tests
    # started so far, the index, uploads) is free of the key; only .env holds it.
    for path in app.workdir.rglob("*"):
        if path.is_file() and path.name != ".env":
            data = path.read_bytes()
            assert CANARY.encode() not in data and b"dotenv-canary" not in data, path
    port = app.url.rsplit(":", 1)[1]
    assert "Traceback" not in (app.workdir / f"app-{port}.log").read_text()


def test_a_refused_api_question_logs_no_traceback(app_workdir) -> None:
    # The rate limit is an expected refusal, not a fault: the server log stays clean.

    limited = start_app(app_workdir, env_extra={"RAG_UI_RATE_LIMIT": "1"})
    try:
        client = Client(limited.url + "/", verbose=False)
        client.predict("Who is the CEO of Mistral?", api_name="/ask")
        with pytest.raises(Exception, match="too many questions"):
            client.predict("Who is the CEO of Mistral?", api_name="/ask")
    finally:
        stop_app(limited)
    port = limited.url.rsplit(":", 1)[1]
    assert "Traceback" not in (app_workdir / f"app-{port}.log").read_text()


@pytest.mark.parametrize("route", ["/proxy=", "/gradio_api/proxy=", "/gradio_api/file=", "/file="])
def test_no_route_makes_the_server_fetch_a_url(app, route: str) -> None:
    with Canary("127.0.0.4") as canary:
        status, body = fetch(app.url + route + canary.url + "/ssrf-probe")
        time.sleep(0.3)
        assert status in (400, 403, 404), (route, status)
        assert canary.hits == []


def test_an_upload_over_the_cap_is_refused_with_413(app) -> None:
    # The default cap is 5 MB (RAG_UI_MAX_UPLOAD); the route Gradio uploads through.
    boundary = "----rag-test-boundary"
    payload = b"x" * (6 * 1024 * 1024)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            'filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n'
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        app.url + "/gradio_api/upload",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as err:
        status = err.code
    assert status == 413
    assert not list(app.workdir.rglob("big.txt"))  # nothing of it kept in the project
