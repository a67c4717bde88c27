"""Short names an article defines for itself are read as the names, for matching only."""

from __future__ import annotations

from rag.text.abbreviations import defined, expand
from rag.text.agree import SAME, compare


def test_a_name_and_the_short_form_the_article_gives_it() -> None:
    text = (
        "Microsoft (MS), which invested in OpenAI, is expanding. It uses artificial "
        "intelligence (AI) and large language models (LLMs). Deutsche Telekom (DT) too."
    )
    # generic terms every outlet uses as they are do not count; a name of two words
    # ("Deutsche Telekom (DT)") is not read either: only one capitalised word is a name here
    assert defined(text) == {"MS": "Microsoft"}
    assert defined("Apple (MS) and Amazon (AMZN)") == {"AMZN": "Amazon"}


def test_expanded_only_as_a_whole_word() -> None:
    table = {"MS": "Microsoft"}
    assert expand("MS's cloud: MS is here, MSFT and SMS are not", table) == (
        "Microsoft's cloud: Microsoft is here, MSFT and SMS are not"
    )
    assert expand("MS is here", {}) == "MS is here"


def test_two_articles_state_one_fact_once_the_short_name_is_read() -> None:
    one = "MS is currently running 1,600 AI models in its data centres."
    other = "Microsoft is currently running 1,600 AI models in its data centres."
    assert compare(expand(one, {"MS": "Microsoft"}), other) == SAME
