from rag.cite import markers_in, strip_invalid_markers
from rag.engine import Conversation


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
