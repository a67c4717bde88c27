from rag.text import LineIndex, sentence_spans


def test_sentences_split_on_terminal_punctuation_only() -> None:
    text = "Mr. Smith paid $2.5bn. The U.S. deal closed. “Is it done?” he asked. Yes"
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == [
        "Mr. Smith paid $2.5bn.",
        "The U.S. deal closed.",
        "“Is it done?” he asked.",
        "Yes",
    ]


def test_spans_never_cross_lines_and_are_trimmed() -> None:
    text = "First line.\n  Second line. Third\n"
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == ["First line.", "Second line.", "Third"]


def test_line_index() -> None:
    index = LineIndex("a\nbc\n\nd")
    assert [index.line_of(i) for i in range(7)] == [1, 1, 2, 2, 2, 3, 4]
    assert index.span(2) == (2, 4)
