"""Asking a model again when the checks find an answer short of support: which answer
is kept, how often the model is asked, and what the user is told (pure logic: a
scripted client, no HTTP; tests/integration/test_llm_protocol.py has the wire)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from rag.answer.choose import asked_kind, keeps, kept_facts, short_of_answer
from rag.answer.cite import finish_generated
from rag.answer.engine import Conversation
from rag.answer.llm import Deadlines, GenerativeAnswerer
from rag.errors import LLMUnavailableError
from rag.model import Answer, Checking, Evidence, Passage
from rag.text.support import as_claim
from tests.fakes import article_chunk

TEXT = (
    "This includes its AI-powered chatbot ChatGPT, which has broken numerous headlines "
    "since its 30 November launch."
)
ADDS_A_YEAR = "ChatGPT was launched on 30 November 2022 [1]."
AS_WRITTEN = "ChatGPT was launched on 30 November [1]."
ADDS_A_DAY = "ChatGPT was launched on a Friday, 30 November 2019 [1]."


class _Scripted:
    """A model that answers each request with the next scripted reply; a reply that
    is an exception is raised instead."""

    def __init__(self, *replies: str | Exception) -> None:
        self.replies = list(replies)
        self.asked: list[tuple[float | None, int | None]] = []
        self.pause = 0.0  # seconds each answer takes
        self.deadlines = Deadlines(3.0, 60.0, 180.0)

    def model(self) -> str:
        return "m"

    def stream(
        self, messages: list[dict[str, str]], temperature: float | None = None, seed=None
    ) -> Iterator[str]:
        self.asked.append((temperature, seed))
        reply = self.replies.pop(0)
        time.sleep(self.pause)
        if isinstance(reply, Exception):
            raise reply
        yield from (reply[i : i + 7] for i in range(0, len(reply), 7))


def _source() -> Evidence:
    return _evidence(TEXT)


def _ask(client: _Scripted, resample: int = 2) -> tuple[list[str], Answer]:
    generator = GenerativeAnswerer(client, "local", resample=resample)  # type: ignore[arg-type]
    items = list(generator.stream("When was ChatGPT launched?", [_source()], Conversation()))
    answer = items[-1]
    assert isinstance(answer, Answer)
    return [i for i in items if isinstance(i, str)], answer


def test_a_sentence_short_of_support_asks_again_and_keeps_the_supported_answer() -> None:
    client = _Scripted(ADDS_A_YEAR, AS_WRITTEN, ADDS_A_YEAR)
    deltas, answer = _ask(client)
    assert "".join(deltas) == ADDS_A_YEAR  # what streamed is the first answer only
    assert answer.text == AS_WRITTEN
    assert [s["label"] for s in answer.sentences] == ["supported"]
    # sampled, with a seed so a run can be repeated; it stops at the supported answer
    assert client.asked == [(None, None), (0.7, 1)]
    assert answer.timings_ms["resamples"] == 1
    assert any("asked again 1 time(s)" in n and "better-supported" in n for n in answer.notices)


def test_the_stream_says_it_is_checking_before_asking_again_and_only_then() -> None:
    # The model's text stands still for seconds while it is asked again: the stream
    # says why, after the streamed text and before the checked answer.
    generator = GenerativeAnswerer(_Scripted(ADDS_A_YEAR, AS_WRITTEN), "local", resample=2)  # type: ignore[arg-type]
    items = list(generator.stream("When was ChatGPT launched?", [_source()], Conversation()))
    kinds = [type(i).__name__ for i in items]
    assert kinds[-2:] == ["Checking", "Answer"] and set(kinds[:-2]) == {"str"}
    checking = items[-2]
    assert isinstance(checking, Checking)
    assert checking.text.startswith("1 sentence(s) of the model's first answer were not fully")
    supported = GenerativeAnswerer(_Scripted(AS_WRITTEN), "local", resample=2)  # type: ignore[arg-type]
    items = list(supported.stream("When was ChatGPT launched?", [_source()], Conversation()))
    assert not any(isinstance(i, Checking) for i in items)


def test_no_better_answer_keeps_the_first_shown_as_unsupported() -> None:
    client = _Scripted(ADDS_A_YEAR, ADDS_A_DAY, ADDS_A_YEAR)
    _, answer = _ask(client)
    assert answer.text == ADDS_A_YEAR  # ties keep the first: never a worse answer
    assert [s["label"] for s in answer.sentences] == ["unsupported"]
    assert len(client.asked) == 3
    assert any("asked again 2 time(s)" in n and "the first is shown" in n for n in answer.notices)


def test_a_refusal_never_replaces_an_answer() -> None:
    # A refusal has no sentence to be unsupported; an answer still beats it.
    client = _Scripted(ADDS_A_YEAR, "The articles don't say.", "The articles don't say.")
    _, answer = _ask(client)
    assert not answer.refused and answer.text == ADDS_A_YEAR


def test_a_supported_answer_or_resample_0_asks_once() -> None:
    client = _Scripted(AS_WRITTEN)
    _, answer = _ask(client)
    assert len(client.asked) == 1 and "resamples" not in answer.timings_ms
    client = _Scripted(ADDS_A_YEAR)
    _, answer = _ask(client, resample=0)
    assert len(client.asked) == 1 and answer.text == ADDS_A_YEAR
    assert not any("asked again" in n for n in answer.notices)


def test_a_failure_when_asking_again_keeps_the_checked_first_answer() -> None:
    client = _Scripted(ADDS_A_YEAR, LLMUnavailableError("the connection broke"))
    _, answer = _ask(client)
    assert answer.backend == "local" and answer.text == ADDS_A_YEAR
    assert [s["label"] for s in answer.sentences] == ["unsupported"]
    assert any("stopped: the connection broke" in n for n in answer.notices)


def test_no_try_is_started_that_would_end_past_the_turn_deadline() -> None:
    # The first answer took ~all of a 1-second turn: another would end past it.
    client = _Scripted(ADDS_A_YEAR, AS_WRITTEN)
    client.deadlines = Deadlines(1.0, 1.0, 1.0)
    client.pause = 0.6
    _, answer = _ask(client)
    assert len(client.asked) == 1 and answer.text == ADDS_A_YEAR
    assert any("no time left before RAG_TURN_TIMEOUT" in n for n in answer.notices)


OPEC = (
    "In 1971 OPEC began to readjust oil prices. "
    "Until the oil shock, the price had remained fairly stable versus other currencies."
)


def _opec_sources() -> list[Evidence]:
    """Each sentence of OPEC its own source."""
    spans = ((0, 42), (43, len(OPEC)))
    passage = _evidence(OPEC, spans).passage
    return [Evidence(passage, a, b) for a, b in spans]


def test_a_supported_answer_that_drops_the_year_the_first_had_right_is_not_chosen() -> None:
    # SQuAD slice: the sampled answer was "supported" by saying something else.
    assert OPEC[:42] == "In 1971 OPEC began to readjust oil prices."
    first = "OPEC first started to readjust oil prices in 1971 [1]."
    elsewhere = "Until the oil shock, the price had remained fairly stable [2]."
    client = _Scripted(first, elsewhere, elsewhere)
    generator = GenerativeAnswerer(client, "local", resample=2)  # type: ignore[arg-type]
    question = "When did OPEC start to readjust oil prices?"
    items = list(generator.stream(question, _opec_sources(), Conversation()))
    answer = items[-1]
    assert isinstance(answer, Answer)
    assert [s["label"] for s in answer.sentences] == ["partly"]  # "first started" is not there
    assert answer.text == first and len(client.asked) == 3
    # the same answer with the year is chosen
    client = _Scripted(first, "OPEC began to readjust oil prices in 1971 [1].")
    generator = GenerativeAnswerer(client, "local", resample=2)  # type: ignore[arg-type]
    answer = list(generator.stream(question, _opec_sources(), Conversation()))[-1]
    assert isinstance(answer, Answer)
    assert answer.text == "OPEC began to readjust oil prices in 1971 [1]."
    assert [s["label"] for s in answer.sentences] == ["supported"]


def test_what_the_first_answer_took_from_its_passages_must_be_kept() -> None:
    first = finish_generated(
        "Who announced the partnership, and when?",
        "Brad Smith announced it on the 26th, in 2019 [1].",
        {1: _evidence("On the 26th, Brad Smith announced the partnership.")},
        "local",
    )
    wanted = kept_facts(first, "Who announced the partnership, and when?", {1: first_text()})
    assert {"brad", "smith", "26"} <= set(wanted) and "2019" not in wanted
    said = finish_generated(
        "q", "Brad Smith announced it on the 26th [1].", {1: _evidence(first_text())}, "local"
    )
    assert keeps(said, wanted)
    lost_day = finish_generated(
        "q", "Brad Smith announced the partnership [1].", {1: _evidence(first_text())}, "local"
    )
    assert not keeps(lost_day, wanted)


def first_text() -> str:
    return "On the 26th, Brad Smith announced the partnership."


def _evidence(text: str, spans: tuple[tuple[int, int], ...] = ()) -> Evidence:
    """A one-line article as one whole source (``spans``: its sentences)."""
    return Evidence.whole(Passage(article_chunk(text, spans), 0.9, 1.0, 0.03))


def test_a_bare_answer_is_judged_with_the_question_it_answers() -> None:
    # "Iran." alone is "supported" by any passage naming Iran; it claims more.
    source = {1: _evidence("At the time, Iran was the second-largest oil exporter.")}
    asked = "Who was the second-largest wheat exporter to the Middle East?"
    answer = finish_generated(asked, "Iran [1].", source, "local")
    assert answer.sentences[0]["label"] != "supported"
    right = finish_generated(
        "Who was the second-largest oil exporter?", "Iran [1].", source, "local"
    )
    assert right.sentences[0]["label"] == "supported"


def test_a_bare_answer_need_not_repeat_the_category_the_question_asks_for() -> None:
    # "Which company…" → "SambaNova Systems": the passage need not say "company".
    source = {1: _evidence("Marshall Choy, SVP product, SambaNova Systems")}
    asked = "Which company does Marshall Choy work for?"
    assert as_claim("SambaNova Systems [1].", asked).startswith("Which does Marshall Choy")
    answer = finish_generated(asked, "SambaNova Systems [1].", source, "local")
    assert answer.sentences[0]["label"] == "supported"
    # a sentence of its own is judged alone
    assert as_claim("Marshall Choy works at SambaNova Systems.", asked) == (
        "Marshall Choy works at SambaNova Systems."
    )


def test_what_a_question_asks_for_is_checked_only_where_words_show_it() -> None:
    assert asked_kind("When was the second oil crisis?") == "date"
    assert asked_kind("How much did Microsoft invest in OpenAI?") == "number"
    assert asked_kind("How many people work at Mistral?") == "count"
    assert asked_kind("Who runs Mistral?") is None  # names are read less surely
    assert asked_kind("Who runs Mistral, and when was it founded?") is None  # two parts
    source = {1: _evidence("The second oil crisis began in 1979, after the revolution.")}
    no_date = finish_generated(
        "When was the second oil crisis?",
        "The second oil crisis began after the revolution [1].",
        source,
        "local",
    )
    assert no_date.sentences[0]["label"] == "supported"  # supported, and no answer
    assert short_of_answer(no_date, "date")
    dated = finish_generated(
        "When was the second oil crisis?", "It began in 1979 [1].", source, "local"
    )
    assert not short_of_answer(dated, "date")
    old = {1: _evidence("Warsaw became the capital of the kingdom in 1596.")}
    asked_old = "When did Warsaw become the capital?"
    then = finish_generated(asked_old, "In 1596 [1].", old, "local")
    assert not then.refused and not short_of_answer(then, "date")
    # a marker's digit is no figure, nor is the year the question gives
    money = {
        1: _evidence(
            "In 2019, Microsoft said it would invest $1 billion in OpenAI to co-develop "
            "new technologies."
        )
    }
    asked = "How much did Microsoft invest in OpenAI in 2019?"
    said = "In 2019, Microsoft said it would invest in OpenAI to co-develop new technologies [1]."
    vague = finish_generated(asked, said, money, "local")
    assert not vague.refused and short_of_answer(vague, "number")
    # …and the question's year is not a fact a try must keep to replace it
    assert "2019" not in kept_facts(vague, asked, {1: money[1].text})
