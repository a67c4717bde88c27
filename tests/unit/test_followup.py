from rag.text.followup import rewrite_followup


def test_person_pronoun_takes_a_name_from_the_previous_answer() -> None:
    got = rewrite_followup(
        "And where did he work before?",
        "Who runs Mistral?",
        ["Arthur Mensch is the co-founder and CEO of Mistral."],
    )
    assert got == "And where did Arthur Mensch work before?"


def test_thing_pronoun_takes_the_previous_subject() -> None:
    got = rewrite_followup("How much is it valued at?", "What is Mistral?", [])
    assert got == "How much is Mistral valued at?"
    got = rewrite_followup("What is its chatbot called?", "Who founded Mistral?", [])
    assert got == "What is Mistral's chatbot called?"


def test_a_bare_follow_up_borrows_the_previous_names() -> None:
    got = rewrite_followup("And in 2019?", "How much did Microsoft invest in OpenAI?", [])
    assert got == "And in 2019 (Microsoft OpenAI)?"


def test_self_contained_questions_are_left_alone() -> None:
    question = "Who is the CEO of Mistral?"
    assert rewrite_followup(question, "What is Le Chat?", ["Le Chat is a chatbot."]) == question
    assert rewrite_followup("Where is he?", "", []) == "Where is he?"
