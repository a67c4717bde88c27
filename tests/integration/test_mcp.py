"""python -m rag.mcp, driven by the mcp SDK's own client over stdio and streamable HTTP."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import anyio

from tests.conftest import ROOT, child_env, spawn
from tests.ui.conftest import free_port

MENSCH = "000_1e069c046a7fec7f.txt"
TOOLS = {"search_articles", "ask", "get_source", "list_articles"}


def _env() -> dict[str, str]:
    return child_env()


def _workdir(base: Path, built_index: tuple[Path, Path] | None) -> Path:
    shutil.copytree(ROOT / "seeds", base / "seeds")
    if built_index is not None:
        shutil.copytree(built_index[1], base / "index")
    return base


def _over_stdio(workdir: Path, calls: Any) -> Any:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "rag.mcp", "--seeds", "seeds", "--index", "index"],
        cwd=str(workdir),
        env=_env(),
    )

    async def main() -> Any:
        with (workdir / "mcp-stderr.log").open("w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):  # noqa: SIM117
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await calls(session)

    return anyio.run(main)


def test_every_tool_over_stdio_with_schemas_and_clear_errors(built_index, tmp_path) -> None:
    async def calls(session: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"tools": (await session.list_tools()).tools}
        out["ask"] = await session.call_tool("ask", {"question": "Who is the CEO of Mistral?"})
        out["search"] = await session.call_tool(
            "search_articles", {"query": "Le Chat assistant", "k": 100}
        )
        out["scoped"] = await session.call_tool(
            "search_articles", {"query": "Mistral", "filters": {"sources": ["000*"]}}
        )
        out["source"] = await session.call_tool(
            "get_source", {"source": MENSCH, "line_start": 5, "line_end": 5}
        )
        out["unknown"] = await session.call_tool(
            "get_source", {"source": "nope.txt", "line_start": 1, "line_end": 3}
        )
        out["list"] = await session.call_tool("list_articles", {})
        out["empty"] = await session.call_tool("ask", {"question": "   "})
        out["huge"] = await session.call_tool("ask", {"question": "x" * 100_000})
        out["alive"] = await session.call_tool("list_articles", {"filters": {"sources": ["00*"]}})
        return out

    got = _over_stdio(_workdir(tmp_path, built_index), calls)
    tools = {t.name: t for t in got["tools"]}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.input_schema["type"] == "object" and tool.output_schema["type"] == "object"
    assert tools["ask"].input_schema["required"] == ["question"]

    ask = got["ask"]
    assert not ask.is_error
    assert ask.structured_content["answer"].startswith("Arthur Mensch is the co-founder")
    cited = ask.structured_content["citations"][0]
    assert (cited["source"], cited["line_start"], cited["n"]) == (MENSCH, 5, 1)
    assert ask.structured_content["sentences"][0]["label"] == "supported"
    assert "Sources:" in ask.content[0].text and MENSCH in ask.content[0].text

    passages = got["search"].structured_content["passages"]
    assert 1 <= len(passages) <= 20  # k is capped
    assert {"source", "line_start", "line_end", "text", "scores"} <= set(passages[0])
    assert {p["source"] for p in got["scoped"].structured_content["passages"]} == {MENSCH}

    source = got["source"].structured_content
    assert source["line_start"] == source["line_end"] == 5
    assert "Arthur Mensch is the co-founder" in source["lines"][0]
    assert got["unknown"].is_error and "list_articles" in got["unknown"].content[0].text

    articles = got["list"].structured_content["articles"]
    assert len(articles) == 5 and all(a["source"].endswith(".txt") for a in articles)
    assert got["empty"].is_error and "empty" in got["empty"].content[0].text
    assert got["huge"].is_error and "limit" in got["huge"].content[0].text
    assert not got["alive"].is_error  # the server is still there after the errors


def test_a_missing_index_is_reported_and_not_built(tmp_path) -> None:
    workdir = _workdir(tmp_path, None)

    async def calls(session: Any) -> Any:
        return await session.call_tool("ask", {"question": "Who is the CEO of Mistral?"})

    result = _over_stdio(workdir, calls)
    assert result.is_error and "rag.ingest" in result.content[0].text
    assert not (workdir / "index" / "CURRENT").exists()


def test_streamable_http_on_loopback_refuses_a_foreign_origin(built_index, tmp_path) -> None:
    import httpx
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    workdir = _workdir(tmp_path, built_index)
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    args = ["-m", "rag.mcp", "--http", "--port", str(port), "--seeds", "seeds", "--index", "index"]
    process = spawn(args, workdir, _env(), url, workdir / "mcp-http.log")
    try:

        async def main() -> Any:
            async with streamable_http_client(url) as (read, write):  # noqa: SIM117
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    names = {t.name for t in (await session.list_tools()).tools}
                    listed = await session.call_tool("list_articles", {})
                    return names, listed

        names, listed = anyio.run(main)
        assert names == TOOLS and len(listed.structured_content["articles"]) == 5
        hello = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        headers = {"Accept": "application/json, text/event-stream"}
        foreign = httpx.post(
            url, json=hello, timeout=10, headers={**headers, "Origin": "http://evil.example"}
        )
        assert foreign.status_code == 403
        rebinding = httpx.post(
            url, json=hello, timeout=10, headers={**headers, "Host": "evil.example"}
        )
        assert rebinding.status_code == 421
    finally:
        process.terminate()
        process.wait(10)
