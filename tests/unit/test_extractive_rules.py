import pytest

from rag.answer.extractive import has_type, quote_halves, refers_back, role_of_another
from rag.text.question import (
    answer_type,
    asked_titles,
    asks_wh,
    category_words,
    clauses,
    entities,
    key_terms,
    target_phrase,
    titles,
)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much did Microsoft invest in OpenAI in 2019?", "number"),
        ("How many employees does Mistral have?", "count"),
        ("When did Microsoft first invest in OpenAI?", "date"),
        ("Who is the CEO of Mistral?", "name"),
        ("Where is Mistral based?", "place"),
        ("Does Microsoft own shares in Mistral?", None),
        ("What is the total amount Microsoft has put into OpenAI?", "number"),
        ("What was the exact figure?", "number"),
        ("What is the name of the chatbot?", None),
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
        ("Who is Microsoft's chief executive?", "Satya Nadella, CEO of Microsoft, said.", False),
        ("Who is OpenAI's CEO?", "Its CEO Sam Altman said so.", False),  # no organisation
        # "runs" asks for any head's title, so Microsoft's CEO is another's head
        ("Who runs Mistral?", "Satya Nadella, CEO of Microsoft, said.", True),
        ("Who runs Mistral?", "Arthur Mensch, CEO of MistralAI, said so.", False),
        ("Who founded Mistral?", "Satya Nadella, CEO of Microsoft, said.", False),  # no role
        ("Who is OpenAI's CEO?", "Sam Altman said the deal was good.", False),  # no role given
    ],
)
def test_a_role_given_only_to_another_organisation_does_not_answer(
    question: str, sentence: str, other: bool
) -> None:
    assert role_of_another(question, sentence) is other


def test_words_naming_a_number_answer_are_not_key_terms() -> None:
    q = "What is the total amount Microsoft has put into OpenAI?"
    assert key_terms(q, answer_type(q)) == ["microsoft", "openai"]
    # elsewhere "amount" is a word like any other
    assert "amount" in key_terms(
        "Was the amount disclosed?", answer_type("Was the amount disclosed?")
    )


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("Who runs Microsoft, and who runs OpenAI?", ["Who runs Microsoft?", "who runs OpenAI?"]),
        (
            "Who leads Microsoft's AI efforts and announced significant investments?",
            ["Who leads Microsoft's AI efforts?", "Who announced significant investments?"],
        ),
        (  # an elided second question borrows the first one's words
            "When did Microsoft first invest in OpenAI, and how much?",
            [
                "When did Microsoft first invest in OpenAI?",
                "how much did Microsoft first invest in OpenAI?",
            ],
        ),
        (
            "What did Microsoft announce and when?",
            ["What did Microsoft announce?", "when did Microsoft announce?"],
        ),
        # "and" inside one question is not two questions
        ("How much did Microsoft invest in Germany and Spain?", None),
        ("Who is Microsoft's president and CEO?", None),
        ("What was founded by Mensch and backed by Microsoft?", None),
    ],
)
def test_a_compound_question_splits_into_whole_questions(
    question: str, parts: list[str] | None
) -> None:
    assert clauses(question) == (parts or [question])


@pytest.mark.parametrize(
    ("question", "only_facts"),
    [
        ("What did Mustafa Suleyman do before joining Microsoft?", True),
        ("Who runs Microsoft, and who runs OpenAI?", True),
        ("Which startup was founded in 2023 and is based in Paris?", True),
        ("Who founded Mistral and has invested in it?", True),
        ("Does Microsoft hold equity in Mistral?", False),
        ("Who is the CEO of Mistral, and does Microsoft hold equity in it?", False),
        ("What is Le Chat and is it free?", False),
    ],
)
def test_a_question_with_a_yes_no_part_is_not_one_only_for_facts(
    question: str, only_facts: bool
) -> None:
    # A sentence restating a yes/no part answers it ("Microsoft holds equity in Mistral").
    assert asks_wh(question) is only_facts


def test_a_who_question_about_a_post_needs_a_title_in_the_sentence() -> None:
    assert asked_titles("Who is the CEO of Meta Platforms?") == {"ceo"}
    assert asked_titles("Who is OpenAI's chief executive?") == {"ceo"}
    assert "chief" in asked_titles("Who leads Microsoft's AI efforts?")
    assert asked_titles("Who founded Mistral?") == frozenset()
    assert asked_titles("How much did the CEO of Mistral say?") == frozenset()  # not a who
    assert titles("The move, confirmed by Microsoft AI chief Mustafa Suleyman, signals") == {
        "chief"
    }
    assert titles("Satya Nadella, chairman and CEO of Microsoft") == {"chair", "ceo"}
    assert titles("Arthur Mensch is the co-founder of Mistral.") == {"founder"}
    assert not titles("founded last year by Arthur Mensch, a researcher")


def test_a_count_is_not_money_a_share_a_year_or_a_length_of_time() -> None:
    assert has_type("count", "Microsoft claims to have 1,600 AI models in its data centers.")
    assert has_type("count", "The partnership mainly focuses on three areas.")
    assert has_type("count", "It constructed multiple AI supercomputing systems at scale.")
    said = "In the last two weeks it had invested $5.6bn into new AI data centres in Germany."
    assert has_type("number", said) and not has_type("count", said)
    assert not has_type("count", "Valued at 2 billion euros in 2024, it holds 49% of the shares.")


@pytest.mark.parametrize(
    ("sentence", "leans"),
    [
        ("SambaNova is one of only a handful of companies that are already doing this.", True),
        ("Smith said it is too soon to know whether Microsoft will invest in this effort.", True),
        ("This substantial investment highlights Microsoft's commitment.", True),
        ("He explained that the deal was good.", True),
        ("Microsoft has invested $13bn into OpenAI.", False),
        ("The startup hopes to make $200 million this year.", False),  # time, not a referent
        ("Microsoft said that the partnership will grow.", False),  # "that" as a conjunction
    ],
)
def test_a_sentence_that_leans_on_the_one_before(sentence: str, leans: bool) -> None:
    assert refers_back(sentence) is leans


def test_a_long_sentence_with_a_quoted_statement_is_also_read_in_halves() -> None:
    said = (
        "Attending the Mobile World Congress (MWC) conference held in Barcelona, Spain, he "
        'explained, "We will enable MistralAI to train and deploy next-generation AI models on '
        'our AI data center infrastructure."'
    )
    frame, quote = quote_halves(said)
    assert frame.startswith("Attending the Mobile World Congress") and frame.endswith("explained,")
    assert quote.startswith("We will enable MistralAI") and quote.endswith("infrastructure.")
    # a quoted phrase is not a statement, and a short sentence needs no halves
    phrase = (
        "Brad Smith, Microsoft's president, announced a “multi-year partnership” with "
        "Paris-based Mistral Monday to help the 10-month old company bring its AI models on to "
        "the market."
    )
    assert quote_halves(phrase) == []
    assert quote_halves('He said, "We are determined to make sure it is."') == []
