import pytest

from rag.extractive import (
    answer_type,
    entities,
    has_type,
    key_terms,
    role_of_another,
    target_phrase,
)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much did Microsoft invest in OpenAI in 2019?", "number"),
        ("How many employees does Mistral have?", "number"),
        ("When did Microsoft first invest in OpenAI?", "date"),
        ("Who is the CEO of Mistral?", "name"),
        ("Where is Mistral based?", "place"),
        ("Does Microsoft own shares in Mistral?", None),
    ],
)
def test_answer_type(question: str, kind: str | None) -> None:
    assert answer_type(question) == kind


def test_type_checks() -> None:
    assert has_type("number", "Microsoft invested $13bn into OpenAI.")
    assert not has_type("number", "Arthur Mensch is the co-founder and CEO of Mistral.")
    assert has_type("date", "In 2019, Microsoft announced it would invest.")
    assert has_type("name", "The deal was signed by Brad Smith.")


def test_key_terms_and_entities() -> None:
    assert key_terms("Does Microsoft own shares in Mistral?") == [
        "microsoft",
        "own",
        "shares",
        "mistral",
    ]
    assert entities("What is the capital of Peru?") == ["peru"]
    assert entities("Does Microsoft own shares in Mistral?") == ["microsoft", "mistral"]


@pytest.mark.parametrize(
    ("question", "target"),
    [
        ("How many employees does Mistral have?", "employees"),
        ("What is Satya Nadella's salary?", "salary"),
        ("What is the capital of Peru?", "capital"),
        ("How many of Microsoft's AI models are open-source?", "ai models"),
        # instances of a category, amounts and generic heads are not required words
        ("Which news agency said the partnership could reduce dependence?", None),
        ("How much money did Mistral raise?", None),
        ("What is the name of the chatbot Mistral launched?", None),
        ("What is the total amount Microsoft has put into OpenAI?", None),
        ("Does Microsoft own shares in Mistral?", None),
    ],
)
def test_target_phrase(question: str, target: str | None) -> None:
    assert target_phrase(question) == target


def test_a_name_answer_must_be_one_the_question_does_not_give() -> None:
    asked = frozenset({"who", "co", "founded", "mistral", "with", "arthur", "mensch"})
    assert not has_type("name", "Arthur Mensch is the co-founder and CEO of Mistral.", asked)
    assert has_type("name", "It was founded by Mensch and Timothee Lacroix.", asked)


def test_vague_time_words_are_not_dates() -> None:
    assert not has_type("date", "Satya Nadella acknowledged recently that the firm grew.")
    assert has_type("date", "The firm was founded last year.")


def test_light_verbs_and_hedges_are_not_key_terms() -> None:
    assert key_terms("How much has Microsoft invested in OpenAI in total?") == [
        "microsoft",
        "invested",
        "openai",
    ]
    assert "speech" in key_terms("Where did Brad Smith give his speech?")
    assert "give" not in key_terms("Where did Brad Smith give his speech?")


def test_a_which_question_names_its_category() -> None:
    from rag.extractive import category_words

    assert category_words("Which news agency said the deal could help?") == {"news", "agency"}
    assert category_words("And which company is the cloud provider?") == {"company"}
    assert category_words("Who runs Mistral?") == set()


# -- a role the question binds to one organisation --------------------------------------


@pytest.mark.parametrize(
    ("question", "sentence", "other"),
    [
        (
            "Who is OpenAI's chief executive?",
            "“We formed our partnership,” comments Satya Nadella, chairman and CEO of Microsoft.",
            True,
        ),
        ("Who is OpenAI's chief executive?", "OpenAI’s CEO Sam Altman has been in talks.", False),
        ("Who is OpenAI's CEO?", "“It has been great,” OpenAI CEO Sam Altman said.", False),
        ("Who is the CEO of Meta Platforms?", "Satya Nadella, CEO of Microsoft, said.", True),
        ("Who is the CEO of Mistral?", "Arthur Mensch, CEO of MistralAI, said so.", False),
        ("Who is the CEO of MS?", "Satya Nadella, chairman and CEO of Microsoft, said.", False),
        ("Who is OpenAI's CEO?", "Its CEO Sam Altman said so.", False),  # no organisation
        ("Who runs Mistral?", "Satya Nadella, CEO of Microsoft, said.", False),  # no role asked
        ("Who is OpenAI's CEO?", "Sam Altman said the deal was good.", False),  # no role given
    ],
)
def test_a_role_given_only_to_another_organisation_does_not_answer(
    question: str, sentence: str, other: bool
) -> None:
    assert role_of_another(question, sentence) is other
