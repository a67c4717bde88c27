"""``import rag`` names the public API, imports it lazily, and stays cheap."""

from __future__ import annotations

import subprocess
import sys

import rag


def test_every_public_name_resolves_and_all_lists_exactly_them() -> None:
    assert sorted(rag.__all__) == sorted(rag._EXPORTS)
    for name in rag.__all__:
        assert getattr(rag, name) is not None, name
    assert rag.add_files.__name__ == "add_articles"
    assert issubclass(rag.IndexNotFoundError, rag.RagError)


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        rag.not_a_name  # noqa: B018
    except AttributeError as err:
        assert "not_a_name" in str(err)
    else:
        raise AssertionError("rag.not_a_name resolved")


def test_importing_rag_loads_no_heavy_library() -> None:
    code = (
        # the engine and the chat, too: their heavy libraries load when first used
        "import sys, rag; rag.Settings; rag.Engine; rag.Chat; "
        "print(sorted(m for m in ('chromadb', 'llama_index.core', 'gradio', 'onnxruntime', "
        "'openai', 'torch') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
