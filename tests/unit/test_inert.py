"""A model's unchecked text, made inert as it streams (rag/text/inert.py)."""

from rag.text.inert import ZWSP, InertStream, inert


def _streamed(text: str, size: int) -> str:
    stream = InertStream()
    return "".join(stream.feed(text[i : i + size]) for i in range(0, len(text), size))


def test_an_image_split_across_deltas_never_forms() -> None:
    planted = "Mistral is worth €2bn [1]. ![x](http://127.0.0.1:9/p.png)"
    for size in (1, 2, 3, 7, len(planted)):
        shown = _streamed(planted, size)
        assert "![" not in shown and "](" not in shown, size
        assert f"http{ZWSP}://" in shown
        assert shown == inert(planted)  # the same however the deltas fall


def test_html_links_and_bare_urls_are_text() -> None:
    shown = inert('<img src="x"> [click](https://evil.example) www.evil.example')
    assert "<" not in shown and ">" not in shown
    assert "](" not in shown and f"https{ZWSP}:" in shown and f"www{ZWSP}." in shown


def test_citation_markers_and_plain_text_pass_unchanged() -> None:
    text = "Arthur Mensch is the CEO of Mistral [1]. It was founded in 2023 (in Paris) [2]."
    assert inert(text) == text


def test_terminal_escapes_are_dropped_and_markdown_is_left_alone_on_a_terminal() -> None:
    shown = inert("red \x1b[31mtext\x1b[0m and ![x](y)", markdown=False)
    assert "\x1b" not in shown and shown == "red [31mtext[0m and ![x](y)"
