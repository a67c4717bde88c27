"""The CLI as a user runs it: a new process, real index, stdout/stderr/exit code."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_rag

KEYS = {
    "schema_version",
    "question",
    "answer",
    "refused",
    "backend",
    "index_fingerprint",
    "citations",
    "passages",
    "timings_ms",
}
CITATION_KEYS = {
    "n",
    "source",
    "line_start",
    "line_end",
    "char_start",
    "char_end",
    "quote",
    "title",
    "outlet",
    "published",
    "scores",
    "support",
}


def ask(built_index, *args: str, stdin: str | None = None):
    seeds, index = built_index
    return run_rag("ask", seeds, index, *args, stdin=stdin)


def test_json_answer_has_every_key_and_true_spans(built_index) -> None:
    seeds, _ = built_index
    result = ask(built_index, "--json", "How much did Microsoft invest in OpenAI in 2019?")
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row.keys() >= KEYS
    assert row["backend"] == "extractive" and not row["refused"]
    assert "$1 billion" in row["answer"]
    for citation in row["citations"]:
        assert citation.keys() >= CITATION_KEYS
        text = (seeds / citation["source"]).read_text(encoding="utf-8")
        assert text[citation["char_start"] : citation["char_end"]] == citation["quote"]
        assert set(citation["scores"]) == {"dense", "bm25", "fused"}
    assert row["passages"] and {"source", "line_start", "line_end", "text", "scores"} <= set(
        row["passages"][0]
    )


def test_plain_output_lists_sources_with_file_and_line(built_index) -> None:
    result = ask(built_index, "Who is the CEO of Mistral?")
    assert result.returncode == 0, result.stderr
    assert "Arthur Mensch" in result.stdout and "[1]" in result.stdout
    assert "000_1e069c046a7fec7f.txt:5" in result.stdout
    assert "\x1b]8;;" not in result.stdout  # no hyperlink escapes when not a terminal


def test_batch_mode_reads_stdin_and_writes_one_json_per_line(built_index) -> None:
    result = ask(
        built_index, "--json", stdin="Who is the CEO of Mistral?\n\nWhat is the capital of Peru?\n"
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["refused"] for r in rows] == [False, True]
    assert rows[1]["answer"] == "The articles don't say."


def test_each_part_of_a_compound_question_is_answered_or_named_as_unanswered(
    built_index,
) -> None:
    questions = (
        "Who is Microsoft's president, and who is the CEO of Mistral?\n"
        "Who is the CEO of Mistral, and how many employees does Mistral have?\n"
        "How many employees does Mistral have, and what is the capital of Peru?\n"
    )
    result = ask(built_index, "--json", stdin=questions)
    assert result.returncode == 0, result.stderr
    both, half, neither = (json.loads(line) for line in result.stdout.splitlines())
    assert "Brad Smith" in both["answer"] and "Mensch" in both["answer"]
    assert not [n for n in both["notices"] if "don't answer" in n]
    assert "Mensch" in half["answer"] and not half["refused"]
    assert "employees" not in half["answer"]
    assert "the articles don't answer: how many employees does Mistral have?" in half["notices"]
    assert neither["refused"] and neither["answer"] == "The articles don't say."


def test_a_sentence_that_says_this_effort_is_quoted_with_the_one_it_points_back_to(
    built_index,
) -> None:
    seeds, _ = built_index
    question = "Is Microsoft going to invest in Sam Altman's chip venture?"
    result = ask(built_index, "--json", question)
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert "too soon" in row["answer"] and "chip venture" in row["answer"]
    (citation,) = [c for c in row["citations"] if "too soon" in c["quote"]]
    assert (citation["line_start"], citation["line_end"]) == (22, 23)
    text = (seeds / citation["source"]).read_text(encoding="utf-8")
    assert text[citation["char_start"] : citation["char_end"]] == citation["quote"]
    # each of the two quoted sentences carries the marker, so neither reads as uncited
    assert [s["label"] for s in row["sentences"]] == ["supported", "supported"]
    assert all(s["citations"] == [citation["n"]] for s in row["sentences"])


def test_retrieve_only_ranks_passages_without_answering(built_index) -> None:
    result = ask(built_index, "--retrieve-only", "--json", "--k", "3", "Le Chat chatbot")
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert "answer" not in row and len(row["passages"]) == 3
    assert any("Le Chat" in p["text"] for p in row["passages"])


def test_usage_errors_exit_2_with_a_message(built_index) -> None:
    result = ask(built_index, "   ")
    assert result.returncode == 2 and "empty" in result.stderr and result.stdout == ""
    result = ask(built_index, "--k", "0", "question")
    assert result.returncode == 2
    result = ask(built_index, "--llm", "nonsense", "question")
    assert result.returncode == 2


def test_ask_builds_the_index_when_there_is_none(tmp_path: Path) -> None:
    seeds = Path(__file__).resolve().parents[2] / "seeds"
    result = run_rag(
        "ask", seeds, tmp_path / "ix", "--json", "Does Microsoft own shares in Mistral?"
    )
    assert result.returncode == 0, result.stderr
    assert "no index yet" in result.stderr
    assert json.loads(result.stdout)["citations"]


def test_an_incompatible_index_is_not_opened(built_index, tmp_path: Path) -> None:
    seeds, index = built_index
    result = run_rag("ask", seeds, index, "question", env={"RAG_CHUNK_TOKENS": "100"})
    assert result.returncode == 1
    assert "python -m rag.ingest" in result.stderr and result.stdout == ""


def test_the_terminal_chat_reads_follow_ups_and_keeps_source_numbers(built_index) -> None:
    seeds, index = built_index
    turns = (
        "Who is the CEO of Mistral?\n\nAnd where did he work before?\n"
        "Who is the CEO of Mistral?\n/quit\nnever asked\n"
    )
    done = run_rag("ask", seeds, index, "-i", "--json", stdin=turns)
    assert done.returncode == 0, done.stderr
    first, second, third = (json.loads(line) for line in done.stdout.splitlines())
    assert first["asked_as"] is None and "Mensch" in first["answer"]
    assert second["asked_as"] == "And where did Arthur Mensch work before?"
    assert "Google" in second["answer"]
    # numbers belong to the conversation: the new source is [2], the first one stays [1]
    assert [c["n"] for c in first["citations"]] == [1]
    assert 1 not in [c["n"] for c in second["citations"]]
    assert [c["n"] for c in third["citations"]] == [1]
    assert third["citations"][0]["quote"] == first["citations"][0]["quote"]


def test_the_terminal_chat_takes_no_question_of_its_own(built_index) -> None:
    seeds, index = built_index
    done = run_rag("ask", seeds, index, "-i", "Who is the CEO of Mistral?")
    assert done.returncode == 2 and "-i takes no question" in done.stderr
