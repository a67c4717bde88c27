"""The README's Python example, run as a user would: from a folder holding seeds/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import rag

ROOT = Path(__file__).resolve().parents[2]


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- api-example[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert found, "the README lost its api-example block"
    return found.group(1)


def test_the_readme_example_answers_with_citations_and_follows_up(tmp_path: Path) -> None:
    code = _readme_example()
    assert len(code.strip().splitlines()) <= 14
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Arthur Mensch is the co-founder and CEO of Mistral.")
    assert re.match(r"\[1\] 000_[0-9a-f]+\.txt:5-5 Arthur Mensch", lines[1])
    assert "Mensch" in lines[2]
    assert "Google" in lines[3]  # the follow-up was read as being about Arthur Mensch
    assert (tmp_path / "index" / "CURRENT").is_file()  # indexed on first use


def test_a_chat_uses_the_engine_it_is_given_instead_of_opening_another(built_index) -> None:
    seeds, index = built_index
    settings = rag.Settings(seeds_dir=seeds, index_dir=index)
    engine = rag.open_engine(settings, build=False)
    chat = rag.Chat(settings, engine)
    assert chat.engine() is engine
    reply = chat.ask("Who is the CEO of Mistral?")
    assert reply.engine is engine and "Mensch" in reply.answer.text
