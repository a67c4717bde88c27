from rag.answer.cite import finish_generated
from rag.answer.engine import Conversation
from rag.model import ArticleMeta, Chunk, Passage
from rag.text.markers import markers_in, strip_invalid_markers


def test_markers_pointing_nowhere_are_removed() -> None:
    text = "Microsoft invested $1 billion [1]. It owns no shares [7][2]."
    assert (
        strip_invalid_markers(text, {1, 2})
        == "Microsoft invested $1 billion [1]. It owns no shares [2]."
    )
    assert markers_in(text) == [1, 7, 2]


def test_source_numbers_are_stable_within_a_conversation() -> None:
    chat = Conversation()
    assert chat.number("a.txt", 0, 10) == 1
    assert chat.number("b.txt", 5, 9) == 2
    assert chat.number("a.txt", 0, 10) == 1


def test_a_reply_with_line_breaks_keeps_whole_sentences() -> None:
    # Models often answer in lines or lists; found by rag.eval with the local model:
    # sentences were cut from the text before its line breaks were flattened.

    text = "Arthur Mensch is the co-founder and CEO of Mistral."
    chunk = Chunk(
        id="c1",
        source="a.txt",
        text=text,
        embed_text=text,
        line_start=1,
        line_end=1,
        char_start=0,
        char_end=len(text),
        sentences=((0, len(text)),),
        content_hash="h",
        file_sha256="f",
        meta=ArticleMeta(),
    )
    raw = "\n\n  Arthur Mensch is   the co-founder\nand CEO of Mistral [1].\n\nThat is all."
    answer = finish_generated("q", raw, {1: Passage(chunk, 0.9, 1.0, 0.03)}, "local")
    assert answer.text == "Arthur Mensch is the co-founder and CEO of Mistral [1]."
    assert [s["label"] for s in answer.sentences] == ["supported"]
