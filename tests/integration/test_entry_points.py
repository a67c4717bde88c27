"""Every command keeps its name and answers --help without touching an index."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize(
    ("module", "usage"),
    [
        ("rag.ask", "usage: python -m rag.ask"),
        ("rag.ingest", "usage: python -m rag.ingest"),
        ("rag.eval", "usage: python -m rag.eval"),
        ("rag.bench", "usage: python -m rag.bench"),
        ("rag.train", "usage: python -m rag.train"),
        ("ui", "usage: python -m ui"),
    ],
)
def test_help_names_the_command(module: str, usage: str) -> None:
    done = run_cli("-m", module, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(usage)


def test_the_ingest_children_refuse_a_bad_call_with_their_usage() -> None:
    for module in ("rag.ingest.verify", "rag.ingest.writer"):
        done = run_cli("-m", module)
        assert done.returncode == 2
        assert f"usage: python -m {module}" in done.stderr
