from rag.answer.cite import RESTATES, finish_generated
from rag.answer.engine import Conversation
from rag.answer.llm import GenerativeAnswerer
from rag.model import Evidence, Passage
from rag.text.markers import markers_in, strip_invalid_markers
from rag.text.spans import sentence_spans
from rag.text.support import checker
from tests.fakes import article_chunk


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
    chunk = article_chunk(text, ((0, len(text)),))
    raw = "\n\n  Arthur Mensch is   the co-founder\nand CEO of Mistral [1].\n\nThat is all."
    answer = finish_generated(
        "q", raw, {1: Evidence.whole(Passage(chunk, 0.9, 1.0, 0.03))}, "local"
    )
    assert answer.text == "Arthur Mensch is the co-founder and CEO of Mistral [1]."
    assert [s["label"] for s in answer.sentences] == ["supported"]
    assert answer.dropped == [
        {"text": "That is all.", "reason": "cites no passage, and none supports it"}
    ]


ARTICLE = (
    "Mistral reached a valuation of 2 billion euros in December. "
    "Microsoft has invested $13bn into OpenAI. "
    "Arthur Mensch is the chief executive of Mistral."
)


def _sources() -> dict[int, Evidence]:
    """The article's three sentences, each its own numbered source."""
    spans = tuple(sentence_spans(ARTICLE))
    chunk = article_chunk(ARTICLE, spans)
    passage = Passage(chunk, 0.9, 1.0, 0.03)
    return {n: Evidence(passage, a, b) for n, (a, b) in enumerate(spans, start=1)}


def test_an_uncited_sentence_is_cited_by_the_system_with_the_sentence_that_supports_it() -> None:
    sources = _sources()
    assert sources[2].text == "Microsoft has invested $13bn into OpenAI."
    raw = (
        "Mistral reached a valuation of 2 billion euros [1]. "
        "Microsoft has invested $13bn into OpenAI."
    )
    answer = finish_generated("q", raw, sources, "local")
    assert answer.text == (
        "Mistral reached a valuation of 2 billion euros [1]. "
        "Microsoft has invested $13bn into OpenAI [2]."
    )
    assert [s["cited_by"] for s in answer.sentences] == ["model", "system"]
    assert [s["label"] for s in answer.sentences] == ["supported", "supported"]
    cited = {c.n: (c.char_start, c.char_end) for c in answer.citations}
    spans = sentence_spans(ARTICLE)
    assert cited == {1: spans[0], 2: spans[1]}  # each exactly its one sentence
    assert any("left uncited" in n for n in answer.notices)
    assert answer.dropped == []


def test_an_uncited_sentence_no_source_supports_is_dropped_with_its_reason() -> None:
    raw = "Arthur Mensch is the chief executive of Mistral [3]. Mistral employs 700 people."
    answer = finish_generated("q", raw, _sources(), "local")
    assert answer.text == "Arthur Mensch is the chief executive of Mistral [3]."
    assert answer.dropped == [
        {"text": "Mistral employs 700 people.", "reason": "cites no passage, and none supports it"}
    ]
    assert any("dropped 1 sentence" in n for n in answer.notices)


def test_a_cited_sentence_with_a_figure_its_source_lacks_stays_unsupported() -> None:
    raw = "Microsoft has invested $10bn into OpenAI [2]."
    answer = finish_generated("q", raw, _sources(), "local")
    assert not answer.refused
    assert answer.sentences[0]["label"] == "unsupported"
    assert answer.sentences[0]["cited_by"] == "model"


def test_the_models_own_refusal_is_the_refusal() -> None:
    answer = finish_generated("q", "The articles don't say.", _sources(), "local")
    assert answer.refused and answer.dropped == [] and answer.citations == []


def test_a_sentence_cited_to_the_wrong_source_is_recited_to_the_one_that_says_it() -> None:
    raw = "Microsoft has invested $13bn into OpenAI [1]."  # [1] is the Mistral sentence
    answer = finish_generated("q", raw, _sources(), "local")
    assert answer.text == "Microsoft has invested $13bn into OpenAI [2]."
    assert answer.sentences[0]["label"] == "supported"
    assert answer.sentences[0]["cited_by"] == "system"


def test_a_wrongly_cited_sentence_moves_to_the_source_that_says_most_of_it() -> None:
    # No source says "leads", so none supports it fully: the citation still moves from
    # the OpenAI sentence to the Mistral one, and the label says "partly".
    raw = "Arthur Mensch leads Mistral [2]."
    answer = finish_generated("q", raw, _sources(), "local")
    assert answer.text == "Arthur Mensch leads Mistral [3]."
    assert answer.sentences[0]["label"] == "partly"
    assert answer.sentences[0]["cited_by"] == "system"


def test_a_wrong_citation_no_source_beats_is_left_to_the_label() -> None:
    raw = "Satya Nadella leads Mistral [2]."  # no source names him: nothing to move to
    answer = finish_generated("q", raw, _sources(), "local")
    assert answer.text == "Satya Nadella leads Mistral [2]."
    assert answer.sentences[0]["label"] == "unsupported"
    assert answer.sentences[0]["cited_by"] == "model"


def test_an_answer_that_only_restates_the_question_is_a_refusal() -> None:
    # What small models write for a question the passages do not answer: cited, and
    # supported by its source, yet it says nothing the question did not.
    question = "Why has Microsoft invested into OpenAI?"
    answer = finish_generated(
        question, "Microsoft has invested into OpenAI [2].", _sources(), "local"
    )
    assert answer.refused and answer.citations == []
    assert answer.dropped == [
        {"text": "Microsoft has invested into OpenAI [2].", "reason": RESTATES}
    ]
    assert any("only restated the question" in n for n in answer.notices)


def test_an_answer_that_adds_a_figure_or_a_name_to_the_question_is_kept() -> None:
    figure = finish_generated(
        "How much has Microsoft invested into OpenAI?",
        "Microsoft has invested $13bn into OpenAI [2].",
        _sources(),
        "local",
    )
    name = finish_generated(
        "Who is the chief executive of Mistral?",
        "Arthur Mensch is the chief executive of Mistral [3].",
        _sources(),
        "local",
    )
    assert not figure.refused and not name.refused
    assert figure.dropped == [] and name.dropped == []


def test_a_yes_no_question_may_be_answered_in_its_own_words() -> None:
    restated = "Microsoft has invested $13bn into OpenAI [2]."
    answer = finish_generated(
        "Has Microsoft invested $13bn into OpenAI?", restated, _sources(), "local"
    )
    assert answer.text == restated


def test_a_yes_no_part_of_a_compound_question_may_be_answered_in_its_own_words() -> None:
    # "Who…, and has…?" asks a fact and a yes/no question: restating the second answers it.
    restated = "Microsoft has invested into OpenAI [2]."
    answer = finish_generated(
        "Who leads Mistral, and has Microsoft invested into OpenAI?", restated, _sources(), "local"
    )
    assert answer.text == restated and answer.dropped == []


def test_a_sentence_its_source_contradicts_stays_there_unless_another_supports_it() -> None:
    # "has not invested" cited to "has invested": [4] shares words with it, in separate
    # clauses, so it is "partly" there; moving to it would hide the misreading.
    text = ARTICLE + " Microsoft, a cloud giant, works with OpenAI."
    spans = tuple(sentence_spans(text))
    passage = Passage(article_chunk(text, spans), 0.9, 1.0, 0.03)
    sources = {n: Evidence(passage, a, b) for n, (a, b) in enumerate(spans, start=1)}
    negated = "Microsoft has not invested into OpenAI [2]."
    assert checker().judge(negated.replace(" [2]", ""), [sources[4].text]).label == "partly"
    kept = finish_generated("q", negated, sources, "local")
    assert kept.text == negated
    assert kept.sentences[0]["label"] == "unsupported"
    assert "negation differs" in kept.sentences[0]["flags"][0]
    assert kept.sentences[0]["cited_by"] == "model"
    # A source that does say it takes the citation.
    moved = finish_generated("q", "Microsoft works with OpenAI [2].", sources, "local")
    assert moved.text == "Microsoft works with OpenAI [4]."


def test_of_two_sentences_the_restating_one_is_dropped_with_its_reason() -> None:
    raw = "Microsoft has invested into OpenAI [2]. It has put $13bn into OpenAI [2]."
    answer = finish_generated("How has Microsoft invested into OpenAI?", raw, _sources(), "local")
    assert answer.text == "It has put $13bn into OpenAI [2]."
    assert [d["reason"] for d in answer.dropped] == [RESTATES]
    assert any("say nothing the question does not" in n for n in answer.notices)


def test_a_sentence_said_again_is_kept_once() -> None:
    raw = "Arthur Mensch is the chief executive of Mistral [3]. " * 3
    answer = finish_generated("q", raw, _sources(), "local")
    assert answer.text == "Arthur Mensch is the chief executive of Mistral [3]."


class _LoopingClient:
    """A model that says one sentence over and over (pure logic: no HTTP here)."""

    def __init__(self) -> None:
        self.sent = 0

    def model(self) -> str:
        return "m"

    def stream(self, messages):
        for _ in range(200):
            for piece in ("Arthur Mensch is the chief ", "executive of Mistral [1]. "):
                self.sent += 1
                yield piece


def test_a_model_that_loops_is_stopped_at_its_third_repeat() -> None:
    client = _LoopingClient()
    generator = GenerativeAnswerer(client, "local")  # type: ignore[arg-type]
    items = list(generator.stream("Who runs Mistral?", [_sources()[3]], Conversation()))
    answer = items[-1]
    assert client.sent <= 8  # not the 400 pieces it would have sent
    assert answer.text == "Arthur Mensch is the chief executive of Mistral [1]."
    assert any("repeating itself" in n for n in answer.notices)


def _article_sources(text: str) -> dict[int, Evidence]:
    """Each sentence of a one-line article its own numbered source."""
    spans = tuple(sentence_spans(text))
    passage = Passage(article_chunk(text, spans), 0.9, 1.0, 0.03)
    return {n: Evidence(passage, a, b) for n, (a, b) in enumerate(spans, start=1)}


PARTNERS = (
    "Microsoft and OpenAI pushed the frontier of cloud supercomputing. "
    "The partnership built multiple AI supercomputing systems at scale. "
    "Satya Nadella praised Mistral's models."
)


def test_a_sentence_naming_what_its_source_calls_the_partnership_cites_the_one_before() -> None:
    raw = "The Microsoft-OpenAI partnership built multiple AI supercomputing systems at scale [2]."
    answer = finish_generated("q", raw, _article_sources(PARTNERS), "local")
    assert answer.text == (
        "The Microsoft-OpenAI partnership built multiple AI supercomputing systems at scale "
        "[1] [2]."
    )
    assert answer.sentences[0]["label"] == "supported"
    assert answer.sentences[0]["cited_by"] == "system"
    # each citation is needed for the sentence, so each is counted as backing it
    assert {c.n: c.support["label"] for c in answer.citations} == {1: "supported", 2: "supported"}


def test_a_name_swapped_for_one_the_sentence_before_gives_stays_unsupported() -> None:
    # The adversarial pattern of SQuAD: the passage names Syria and Egypt; the sentence
    # before names Iran, in another role. Citing both would call the swap "supported".
    text = (
        "At the time, Iran was the second-largest oil exporter. "
        "Syria and Egypt launched a surprise attack on Israel on Yom Kippur."
    )
    raw = "Iran launched a surprise attack on Israel on Yom Kippur [2]."
    answer = finish_generated("q", raw, _article_sources(text), "local")
    assert answer.text == raw
    assert answer.sentences[0]["label"] == "unsupported"


def test_a_name_from_a_sentence_that_is_not_the_one_before_is_not_joined() -> None:
    raw = "Satya Nadella built multiple AI supercomputing systems at scale [2]."
    answer = finish_generated("q", raw, _article_sources(PARTNERS), "local")
    assert markers_in(answer.text) == [2]
    assert answer.sentences[0]["label"] != "supported"


def test_the_sentence_before_is_not_added_for_words_alone() -> None:
    # Only "pushed" is missing from [2]: no name or figure is, so [1], which uses the
    # word, is not added.
    raw = "The partnership pushed supercomputing systems [2]."
    answer = finish_generated("q", raw, _article_sources(PARTNERS), "local")
    assert markers_in(answer.text) == [2]
    assert answer.sentences[0]["label"] != "supported"


def test_a_marker_after_the_stop_moves_before_it_and_the_stop_is_not_doubled() -> None:
    # A 1.5B model wrote "…cement. [4]." on the SQuAD slice; it was shown "cement [4].."
    source = Evidence.whole(
        Passage(
            article_chunk("Wheat rose by 300 percent. The same for sugar and cement."),
            0.9,
            1.0,
            0.03,
        )
    )
    for raw, shown in [
        ("The same for sugar and cement. [1].", "The same for sugar and cement [1]."),
        ("The same for sugar and cement. [1]", "The same for sugar and cement [1]."),
        ("Wheat rose by 300 percent! [1].", "Wheat rose by 300 percent [1]!"),
    ]:
        assert finish_generated("q?", raw, {1: source}, "local").text == shown
